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
}
