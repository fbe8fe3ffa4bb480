//! The statements of the requester's links (`desk_links`).

crate::backend::per_backend! {
    use sqlx::Row as _;

    use crate::error::StoreError;
    use crate::links::LinkRow;

    pub async fn insert(
        pool: &Pool,
        token_hash: &str,
        case_id: &str,
        purpose: &str,
        issued_ms: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO desk_links (token_hash, case_id, purpose, issued_ms, expires_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(case_id)
        .bind(purpose)
        .bind(issued_ms)
        .bind(expires_ms)
        .execute(pool)
        .await?;
        Ok(())
    }

    /// Uses up a single-use link: only one caller can ever get its row back.
    pub async fn use_up(
        pool: &Pool,
        token_hash: &str,
        purpose: &str,
        now_ms: i64,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "UPDATE desk_links SET used_ms = $3 \
             WHERE token_hash = $1 AND purpose = $2 AND used_ms IS NULL AND expires_ms > $3 \
             RETURNING case_id",
        )
        .bind(token_hash)
        .bind(purpose)
        .bind(now_ms)
        .fetch_optional(pool)
        .await?;
        Ok(row.map(|r| r.get("case_id")))
    }

    pub async fn get(pool: &Pool, token_hash: &str) -> Result<Option<LinkRow>, StoreError> {
        let row = sqlx::query(
            "SELECT case_id, purpose, expires_ms, used_ms FROM desk_links WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(pool)
        .await?;
        Ok(row.map(|r| LinkRow {
            case_id: r.get("case_id"),
            purpose: r.get("purpose"),
            expires_ms: r.get("expires_ms"),
            used_ms: r.get("used_ms"),
        }))
    }

    pub async fn delete_expired(pool: &Pool, before_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM desk_links WHERE expires_ms <= $1")
            .bind(before_ms)
            .execute(pool)
            .await?;
        Ok(done.rows_affected())
    }
}
