//! The `consent_records` row as every ledger concern reads it: its column list and the mapping
//! from a row of either backend back to a [`ConsentRecord`]. Writing the row is the writer's
//! (`write::sql`).

use std::collections::BTreeMap;

use kapsel_core::Lang;
use kapsel_core::consent::{ConsentAction, ConsentChoice, ConsentRecord, RecordContext};
use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::backend::column;
use crate::error::StoreError;

/// Columns of `consent_records` in insert and select order.
pub const RECORD_COLUMNS: &str = "id, chain_id, seq, recorded_at_ms, expires_at_ms, site, revision, \
     language, action, categories, services, previous_receipt, gpc, ip_prefix, ua_family, \
     prev_hash, hash";

/// The record in `row`, selected over [`RECORD_COLUMNS`].
pub fn record_from_row<'r, R>(row: &'r R) -> Result<ConsentRecord, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = column(row, "?", "id")?;
    let action: String = column(row, &id, "action")?;
    let action = ConsentAction::parse(&action).ok_or_else(|| StoreError::CorruptRow {
        id: id.clone(),
        column: "action",
        reason: format!("unknown action {action:?}"),
    })?;
    let language: String = column(row, &id, "language")?;
    Ok(ConsentRecord {
        chain_id: column(row, &id, "chain_id")?,
        seq: column(row, &id, "seq")?,
        recorded_at_ms: column(row, &id, "recorded_at_ms")?,
        expires_at_ms: column(row, &id, "expires_at_ms")?,
        choice: ConsentChoice {
            site: column(row, &id, "site")?,
            revision: column(row, &id, "revision")?,
            language: Lang(language),
            action,
            categories: choices(row, &id, "categories")?,
            services: choices(row, &id, "services")?,
            previous_receipt: column(row, &id, "previous_receipt")?,
            gpc: column(row, &id, "gpc")?,
        },
        context: RecordContext {
            ip_prefix: column(row, &id, "ip_prefix")?,
            ua_family: column(row, &id, "ua_family")?,
        },
        prev_hash: column(row, &id, "prev_hash")?,
        hash: column(row, &id, "hash")?,
        id,
    })
}

/// A choice map (`categories`, `services`), stored as JSON text.
fn choices<'r, R>(
    row: &'r R,
    id: &str,
    name: &'static str,
) -> Result<BTreeMap<String, bool>, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    let text: String = column(row, id, name)?;
    serde_json::from_str(&text).map_err(|err| StoreError::CorruptRow {
        id: id.to_string(),
        column: name,
        reason: err.to_string(),
    })
}

/// Serialises a choice map for its column (the inverse of `choices`).
pub fn choices_json(map: &BTreeMap<String, bool>) -> String {
    serde_json::to_string(map).unwrap_or_else(|_| "{}".to_string())
}
