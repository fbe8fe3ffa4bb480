//! The reading statements: one record, a record's successor (for a lineage), and one page of
//! an export.

crate::backend::per_backend! {
    use kapsel_core::consent::ConsentRecord;

    use crate::error::StoreError;
    use crate::ledger::read::ExportFilter;
    use crate::ledger::records::{RECORD_COLUMNS, record_from_row};

    pub async fn get_record(pool: &Pool, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM consent_records WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// The newest record that names `id` as its previous receipt.
    pub async fn successor(pool: &Pool, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM consent_records WHERE previous_receipt = $1 \
             ORDER BY recorded_at_ms DESC, chain_id DESC, seq DESC LIMIT 1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// One page of the export, ordered by (recorded_at_ms, chain_id, seq), after `cursor`.
    pub async fn export_page(
        pool: &Pool,
        filter: &ExportFilter,
        cursor: Option<&(i64, String, i64)>,
        limit: i64,
    ) -> Result<Vec<ConsentRecord>, StoreError> {
        let mut query = sqlx::QueryBuilder::<Db>::new(format!(
            "SELECT {RECORD_COLUMNS} FROM consent_records WHERE 1 = 1"
        ));
        if let Some(site) = &filter.site {
            query.push(" AND site = ").push_bind(site.as_str());
        }
        if let Some(since) = filter.since_ms {
            query.push(" AND recorded_at_ms >= ").push_bind(since);
        }
        if let Some(until) = filter.until_ms {
            query.push(" AND recorded_at_ms < ").push_bind(until);
        }
        if let Some((at, chain, seq)) = cursor {
            query
                .push(" AND (recorded_at_ms, chain_id, seq) > (")
                .push_bind(*at)
                .push(", ")
                .push_bind(chain.as_str())
                .push(", ")
                .push_bind(*seq)
                .push(")");
        }
        query
            .push(" ORDER BY recorded_at_ms, chain_id, seq LIMIT ")
            .push_bind(limit);
        let rows = query.build().fetch_all(pool).await?;
        rows.iter().map(record_from_row).collect()
    }
}
