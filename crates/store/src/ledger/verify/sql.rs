//! The verifying statements: which chains exist, one chain in seq order, and the head its
//! writer recorded.

crate::backend::per_backend! {
    use kapsel_core::consent::ConsentRecord;
    use sqlx::Row as _;

    use crate::backend::column;
    use crate::error::StoreError;
    use crate::ledger::records::{RECORD_COLUMNS, record_from_row};

    pub async fn chain_ids(pool: &Pool) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT chain_id FROM ledger_chains UNION SELECT chain_id FROM consent_records \
             ORDER BY 1",
        )
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<String, _>(0)?))
            .collect()
    }

    /// Records of `chain_id` with seq greater than `after_seq`, in seq order.
    pub async fn chain_page(
        pool: &Pool,
        chain_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<ConsentRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM consent_records WHERE chain_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        ))
        .bind(chain_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(pool)
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Like `chain_page`, each row on its own: `(seq, id, record or why it is unreadable)`.
    pub async fn chain_rows(
        pool: &Pool,
        chain_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, Result<ConsentRecord, StoreError>)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM consent_records WHERE chain_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3"
        ))
        .bind(chain_id)
        .bind(after_seq)
        .bind(limit)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id: String = column(row, "?", "id")?;
                let seq: i64 = column(row, &id, "seq")?;
                Ok((seq, id, record_from_row(row)))
            })
            .collect()
    }

    /// The head the writer recorded for `chain_id` in `ledger_chains`.
    pub async fn recorded_head(
        pool: &Pool,
        chain_id: &str,
    ) -> Result<Option<(i64, String)>, StoreError> {
        let row =
            sqlx::query("SELECT head_seq, head_hash FROM ledger_chains WHERE chain_id = $1")
                .bind(chain_id)
                .fetch_optional(pool)
                .await?;
        match row {
            Some(row) => Ok(Some((row.try_get("head_seq")?, row.try_get("head_hash")?))),
            None => Ok(None),
        }
    }
}
