//! The statements of the console's audit log (`console_audit`, `console_audit_head`).

crate::backend::per_backend! {
    use kapsel_core::console::audit::{AuditEntry, NewAuditEntry};
    use sqlx::Row as _;

    use crate::error::StoreError;

    const COLUMNS: &str = "seq, at_ms, actor, action, target, prefix, prev_hash, hash";

    fn entry_from(r: &<Db as sqlx::Database>::Row) -> Result<AuditEntry, StoreError> {
        Ok(AuditEntry {
            seq: r.try_get("seq")?,
            at_ms: r.try_get("at_ms")?,
            actor: r.try_get("actor")?,
            action: r.try_get("action")?,
            target: r.try_get("target")?,
            prefix: r.try_get("prefix")?,
            prev_hash: r.try_get("prev_hash")?,
            hash: r.try_get("hash")?,
        })
    }

    pub async fn head(pool: &Pool) -> Result<(i64, String), StoreError> {
        let r = sqlx::query("SELECT seq, hash FROM console_audit_head WHERE id = 1")
            .fetch_one(pool)
            .await?;
        Ok((r.try_get("seq")?, r.try_get("hash")?))
    }

    /// Seals `new` after the head and writes both, in one transaction that first locks the
    /// head row (a no-op update: PostgreSQL's row lock, SQLite's write lock), so concurrent
    /// appends wait for each other instead of forking the chain.
    pub async fn append(pool: &Pool, new: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE console_audit_head SET seq = seq WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        let r = sqlx::query("SELECT seq, hash FROM console_audit_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        let (seq, hash): (i64, String) = (r.try_get("seq")?, r.try_get("hash")?);
        let after = (seq > 0).then_some((seq, hash.as_str()));
        let entry = AuditEntry::seal(after, new);
        sqlx::query(&format!(
            "INSERT INTO console_audit ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(entry.seq)
        .bind(entry.at_ms)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.target)
        .bind(entry.prefix.as_deref())
        .bind(&entry.prev_hash)
        .bind(&entry.hash)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE console_audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(entry.seq)
            .bind(&entry.hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(entry)
    }

    pub async fn page(pool: &Pool, before: i64, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM console_audit WHERE seq < $1 ORDER BY seq DESC LIMIT $2"
        ))
        .bind(before)
        .bind(limit)
        .fetch_all(pool)
        .await?;
        rows.iter().map(entry_from).collect()
    }

    pub async fn all(pool: &Pool) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM console_audit ORDER BY seq"))
            .fetch_all(pool)
            .await?;
        rows.iter().map(entry_from).collect()
    }
}
