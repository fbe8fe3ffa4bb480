//! The statements of signing keys: register one (ending the validity of the key it replaces),
//! list them, and keep a private key in the database when nothing else can hold it.

crate::backend::per_backend! {
    use sqlx::{Connection as _, Row as _};

    use crate::error::StoreError;
    use crate::keys::PublishedKey;

    /// Inserts the key unless known; ends every other open key of `holder` at `now_ms`.
    pub async fn register_key(
        pool: &Pool,
        key: &PublishedKey,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let mut conn = pool.acquire().await?;
        let mut tx = conn.begin().await?;
        sqlx::query(
            "INSERT INTO signing_keys (public_key, key_id, name, holder, valid_from_ms, \
             valid_until_ms) VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT (public_key) DO NOTHING",
        )
        .bind(&key.public_key)
        .bind(&key.key_id)
        .bind(&key.name)
        .bind(&key.holder)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE signing_keys SET valid_until_ms = $1 \
             WHERE holder = $2 AND public_key <> $3 AND valid_until_ms IS NULL",
        )
        .bind(now_ms)
        .bind(&key.holder)
        .bind(&key.public_key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn published_keys(pool: &Pool) -> Result<Vec<PublishedKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT public_key, key_id, name, holder, valid_from_ms, valid_until_ms \
             FROM signing_keys ORDER BY valid_from_ms, public_key",
        )
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PublishedKey {
                    public_key: row.try_get("public_key")?,
                    key_id: row.try_get("key_id")?,
                    name: row.try_get("name")?,
                    holder: row.try_get("holder")?,
                    valid_from_ms: row.try_get("valid_from_ms")?,
                    valid_until_ms: row.try_get("valid_until_ms")?,
                })
            })
            .collect()
    }
}
