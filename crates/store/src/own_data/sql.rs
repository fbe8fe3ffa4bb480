//! The statements of Kapsel's own data past its period.

crate::backend::per_backend! {
    use crate::error::StoreError;

    pub async fn delete_sent_mail(pool: &Pool, before_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM mail_outbox WHERE state = 'sent' AND created_ms < $1")
            .bind(before_ms)
            .execute(pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn delete_expired_links(pool: &Pool, before_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM desk_links WHERE expires_ms < $1")
            .bind(before_ms)
            .execute(pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn scrub_closed_cases(pool: &Pool, before_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE desk_cases SET email = '', identifiers = '{}' \
             WHERE state IN ('completed', 'refused', 'withdrawn', 'lapsed') \
             AND updated_ms < $1 AND (email <> '' OR identifiers <> '{}')",
        )
        .bind(before_ms)
        .execute(pool)
        .await?;
        Ok(done.rows_affected())
    }

    pub async fn empty_settled_events(pool: &Pool, before_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE gate_events SET body = NULL, subjects = '[]' \
             WHERE received_ms < $1 AND body IS NOT NULL AND NOT EXISTS (\
             SELECT 1 FROM gate_deliveries d WHERE d.site = gate_events.site \
             AND d.message_id = gate_events.message_id \
             AND d.state IN ('pending', 'failed', 'dead'))",
        )
        .bind(before_ms)
        .execute(pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Two statements, each whole on its own: events left without deliveries by an interrupted
    /// run are removed by the next (no transaction is held open across them).
    pub async fn delete_gate_trace(pool: &Pool, before_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM gate_deliveries WHERE received_ms < $1 \
             AND state IN ('forwarded', 'blocked', 'dead')",
        )
        .bind(before_ms)
        .execute(pool)
        .await?;
        sqlx::query(
            "DELETE FROM gate_events WHERE received_ms < $1 AND NOT EXISTS (\
             SELECT 1 FROM gate_deliveries d WHERE d.site = gate_events.site \
             AND d.message_id = gate_events.message_id)",
        )
        .bind(before_ms)
        .execute(pool)
        .await?;
        Ok(done.rows_affected())
    }
}
