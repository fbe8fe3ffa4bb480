//! The reading statements: one record, a receipt's site and secret hash, the head of its
//! lineage, every record reachable from a receipt (for its lineage), and one page of an export.

crate::backend::per_backend! {
    use kapsel_core::consent::ConsentRecord;

    use sqlx::Row as _;

    use crate::backend::column;
    use crate::error::StoreError;
    use crate::ledger::read::{ExportFilter, PreviousReceipt};
    use crate::ledger::records::{RECORD_COLUMNS, record_from_row};

    pub async fn previous_receipt(
        pool: &Pool,
        id: &str,
    ) -> Result<Option<PreviousReceipt>, StoreError> {
        let row = sqlx::query("SELECT id, site, secret_hash FROM consent_records WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
        match row {
            Some(row) => Ok(Some(PreviousReceipt {
                id: row.try_get("id")?,
                site: row.try_get("site")?,
                secret_hash: row.try_get("secret_hash")?,
            })),
            None => Ok(None),
        }
    }

    /// The newest record of the lineage `id` belongs to: `id`'s lineage root, then the head
    /// `receipt_heads` keeps for it (the root itself when nothing replaced it).
    pub async fn lineage_head(pool: &Pool, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM consent_records WHERE id = ( \
                 SELECT COALESCE(heads.head_id, asked.root) FROM ( \
                     SELECT COALESCE(lineage_root, id) AS root FROM consent_records WHERE id = $1 \
                 ) AS asked \
                 LEFT JOIN receipt_heads AS heads ON heads.root_id = asked.root \
             )"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    pub async fn get_record(pool: &Pool, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {RECORD_COLUMNS} FROM consent_records WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// The record `id` and every record reachable from it over `previous_receipt` (those that
    /// replaced it, those that replaced them, …) at most `max_depth` hops away, in ONE
    /// recursive query over the sparse index `consent_records_previous_some`. Newest first by
    /// (recorded_at_ms, chain_id, seq), the order in which a record's successor is chosen.
    /// The depth bound also ends a loop that only tampering can create.
    pub async fn reachable_from(
        pool: &Pool,
        id: &str,
        max_depth: i64,
    ) -> Result<Vec<ConsentRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "WITH RECURSIVE lineage (id, depth) AS ( \
                 SELECT id, CAST(0 AS BIGINT) FROM consent_records WHERE id = $1 \
                 UNION ALL \
                 SELECT next.id, lineage.depth + 1 FROM lineage \
                 JOIN consent_records AS next ON next.previous_receipt = lineage.id \
                 WHERE next.previous_receipt IS NOT NULL AND lineage.depth < $2 \
             ) \
             SELECT {RECORD_COLUMNS} FROM consent_records \
             WHERE id IN (SELECT id FROM lineage) \
             ORDER BY recorded_at_ms DESC, chain_id DESC, seq DESC"
        ))
        .bind(id)
        .bind(max_depth)
        .fetch_all(pool)
        .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// One page of the export, ordered by (recorded_at_ms, chain_id, seq), after `cursor`.
    pub async fn export_page(
        pool: &Pool,
        filter: &ExportFilter,
        cursor: Option<&(i64, String, i64)>,
        limit: i64,
    ) -> Result<Vec<ConsentRecord>, StoreError> {
        export_rows(pool, filter, cursor, limit)
            .await?
            .into_iter()
            .map(|(_, record)| record)
            .collect()
    }

    /// Like `export_page`, each row on its own: a row that cannot be read is an `Err` naming
    /// it, beside its position, so that an export can go on past it. Only a row whose position
    /// itself cannot be read stops the page.
    pub async fn export_rows(
        pool: &Pool,
        filter: &ExportFilter,
        cursor: Option<&(i64, String, i64)>,
        limit: i64,
    ) -> Result<Vec<((i64, String, i64), Result<ConsentRecord, StoreError>)>, StoreError> {
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
        rows.iter()
            .map(|row| {
                let id: String = column(row, "?", "id")?;
                let position = (
                    column(row, &id, "recorded_at_ms")?,
                    column(row, &id, "chain_id")?,
                    column(row, &id, "seq")?,
                );
                Ok((position, record_from_row(row)))
            })
            .collect()
    }
}
