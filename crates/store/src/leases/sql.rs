//! The statements of job leases (`job_leases`).

crate::backend::per_backend! {
    use crate::error::StoreError;

    pub async fn take(
        pool: &Pool,
        name: &str,
        holder: &str,
        now_ms: i64,
        expires_ms: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO job_leases (name, holder, expires_ms) VALUES ($1, $2, $4) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_ms = excluded.expires_ms \
             WHERE job_leases.holder = excluded.holder OR job_leases.expires_ms <= $3",
        )
        .bind(name)
        .bind(holder)
        .bind(now_ms)
        .bind(expires_ms)
        .execute(pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn release(pool: &Pool, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM job_leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(pool)
            .await?;
        Ok(())
    }
}
