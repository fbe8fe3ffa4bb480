//! The statements of the access bundles (`desk_bundles`).

crate::backend::per_backend! {
    use sqlx::Row as _;

    use crate::bundles::StoredBundle;
    use crate::error::StoreError;

    pub async fn put(pool: &Pool, bundle: &StoredBundle) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO desk_bundles (case_id, sha256, bytes, created_ms, expires_ms) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (case_id) DO UPDATE SET sha256 = excluded.sha256, \
             bytes = excluded.bytes, created_ms = excluded.created_ms, \
             expires_ms = excluded.expires_ms",
        )
        .bind(&bundle.case_id)
        .bind(&bundle.sha256)
        .bind(&bundle.bytes)
        .bind(bundle.created_ms)
        .bind(bundle.expires_ms)
        .execute(pool)
        .await?;
        Ok(())
    }

    pub async fn get(
        pool: &Pool,
        case_id: &str,
        now_ms: i64,
    ) -> Result<Option<StoredBundle>, StoreError> {
        let row = sqlx::query(
            "SELECT case_id, sha256, bytes, created_ms, expires_ms FROM desk_bundles \
             WHERE case_id = $1 AND expires_ms > $2",
        )
        .bind(case_id)
        .bind(now_ms)
        .fetch_optional(pool)
        .await?;
        Ok(row.map(|r| StoredBundle {
            case_id: r.get("case_id"),
            sha256: r.get("sha256"),
            bytes: r.get("bytes"),
            created_ms: r.get("created_ms"),
            expires_ms: r.get("expires_ms"),
        }))
    }

    pub async fn delete_expired(pool: &Pool, now_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM desk_bundles WHERE expires_ms <= $1")
            .bind(now_ms)
            .execute(pool)
            .await?;
        Ok(done.rows_affected())
    }
}
