//! The statements of checkpoints and acknowledged gaps: insert-only, read newest first.

crate::backend::per_backend! {
    use sqlx::Row as _;

    use crate::checkpoints::{StoredCheckpoint, StoredGap};
    use crate::error::StoreError;

    const CHECKPOINT_COLUMNS: &str = "chain_id, size, head_hash, signed_at_ms, key_id, note";

    fn checkpoint_from_row(row: &<Db as sqlx::Database>::Row) -> Result<StoredCheckpoint, StoreError> {
        Ok(StoredCheckpoint {
            chain_id: row.try_get("chain_id")?,
            size: row.try_get("size")?,
            head_hash: row.try_get("head_hash")?,
            signed_at_ms: row.try_get("signed_at_ms")?,
            key_id: row.try_get("key_id")?,
            note: row.try_get("note")?,
        })
    }

    pub async fn save_checkpoint(pool: &Pool, c: &StoredCheckpoint) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO ledger_checkpoints ({CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (chain_id, size) DO NOTHING"
        ))
        .bind(&c.chain_id)
        .bind(c.size)
        .bind(&c.head_hash)
        .bind(c.signed_at_ms)
        .bind(&c.key_id)
        .bind(&c.note)
        .execute(pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Checkpoints of `chain_id` below `before_size` (all when `None`), newest first.
    pub async fn checkpoints(
        pool: &Pool,
        chain_id: &str,
        before_size: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CHECKPOINT_COLUMNS} FROM ledger_checkpoints \
             WHERE chain_id = $1 AND size < $2 ORDER BY size DESC LIMIT $3"
        ))
        .bind(chain_id)
        .bind(before_size.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(pool)
        .await?;
        rows.iter().map(checkpoint_from_row).collect()
    }

    /// The head `ledger_chains` records for `chain_id`, if the head record has that hash.
    pub async fn recorded_head(
        pool: &Pool,
        chain_id: &str,
    ) -> Result<Option<(i64, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT c.head_seq, c.head_hash FROM ledger_chains AS c \
             JOIN consent_records AS r ON r.chain_id = c.chain_id AND r.seq = c.head_seq \
             WHERE c.chain_id = $1 AND r.hash = c.head_hash",
        )
        .bind(chain_id)
        .fetch_optional(pool)
        .await?;
        match row {
            Some(row) => Ok(Some((row.try_get("head_seq")?, row.try_get("head_hash")?))),
            None => Ok(None),
        }
    }

    pub async fn append_gap(pool: &Pool, gap: &StoredGap) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ledger_gaps (chain_id, first_missing, last_missing, acknowledged_at_ms, \
             note) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&gap.chain_id)
        .bind(gap.first_missing)
        .bind(gap.last_missing)
        .bind(gap.acknowledged_at_ms)
        .bind(&gap.note)
        .execute(pool)
        .await?;
        Ok(())
    }

    pub async fn gaps(pool: &Pool, chain_id: &str) -> Result<Vec<StoredGap>, StoreError> {
        let rows = sqlx::query(
            "SELECT chain_id, first_missing, last_missing, acknowledged_at_ms, note \
             FROM ledger_gaps WHERE chain_id = $1 ORDER BY first_missing",
        )
        .bind(chain_id)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredGap {
                    chain_id: row.try_get("chain_id")?,
                    first_missing: row.try_get("first_missing")?,
                    last_missing: row.try_get("last_missing")?,
                    acknowledged_at_ms: row.try_get("acknowledged_at_ms")?,
                    note: row.try_get("note")?,
                })
            })
            .collect()
    }
}
