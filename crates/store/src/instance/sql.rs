//! The statements of installation facts (`kapsel_meta`).

crate::backend::per_backend! {
    use sqlx::Row as _;

    use crate::error::StoreError;

    /// The value of `key`, set to `value_if_absent` first if it has none (first writer wins).
    pub async fn meta_get_or_insert(
        pool: &Pool,
        key: &str,
        value_if_absent: &str,
    ) -> Result<String, StoreError> {
        sqlx::query(
            "INSERT INTO kapsel_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value_if_absent)
        .execute(pool)
        .await?;
        let row = sqlx::query("SELECT value FROM kapsel_meta WHERE key = $1")
            .bind(key)
            .fetch_one(pool)
            .await?;
        Ok(row.try_get("value")?)
    }
}
