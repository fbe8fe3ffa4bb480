//! Erasure (art. 17): a dry run that says, per table, how many rows are deleted, which fields are
//! nulled or hashed and which rows are kept under which legal ground; and the run itself, in one
//! transaction per dataset, so a crash leaves everything or nothing changed. Both take their rows
//! from the same selection and their decisions from the same function ([`decide`]), which is why
//! the plan's counts are the outcome's; both read of each row only its key and the fields erasure
//! may change, the only values a decision looks at. A value already nulled or hashed is not
//! counted or changed again, so a second run reports zero: the run is idempotent and safe to
//! repeat after a crash.

use std::collections::BTreeMap;

use ring::hmac;
use serde::Serialize;

use crate::batch::{ROWS_PER_STATEMENT, delete_sql, rows_per_update, update_sql};
use crate::connection::{Connection, Key, Row};
use crate::select::Lock;
use crate::{DatasetSpec, Erasure, TableSpec};
use crate::{Error, Subject, ready, select};

/// What erasure does (or did) to one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCounts {
    pub table: String,
    /// The subject's rows the selection found.
    pub rows_found: u64,
    pub rows_deleted: u64,
    /// Rows with at least one field nulled or hashed.
    pub rows_updated: u64,
    /// Rows kept because a field is under a legal hold (their held fields untouched).
    pub rows_held: u64,
    /// The grounds of the holds, when any row is held.
    pub hold_grounds: Vec<String>,
    /// Field → values nulled.
    pub set_null: BTreeMap<String, u64>,
    /// Field → values replaced by their keyed hash.
    pub keyed_hash: BTreeMap<String, u64>,
}

impl TableCounts {
    /// Deleted rows plus changed fields.
    pub fn changes(&self) -> u64 {
        self.rows_deleted
            + self.set_null.values().sum::<u64>()
            + self.keyed_hash.values().sum::<u64>()
    }
}

/// The dry run of one dataset, tables in the order the erasure works (children first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub dataset: String,
    pub tables: Vec<TableCounts>,
}

/// What an erasure did, in the same shape as its [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub dataset: String,
    pub tables: Vec<TableCounts>,
}

impl Outcome {
    /// Deleted rows plus changed fields over all tables; zero when nothing was left to erase.
    pub fn changes(&self) -> u64 {
        self.tables.iter().map(TableCounts::changes).sum()
    }
}

impl Plan {
    pub fn changes(&self) -> u64 {
        self.tables.iter().map(TableCounts::changes).sum()
    }
}

/// The hex HMAC-SHA256 of `value` under `key`: what a `keyed_hash` field becomes.
pub fn keyed_hash(key: &[u8], value: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hex::encode(hmac::sign(&key, value.as_bytes()).as_ref())
}

/// The keyed hash that names one identifier of a data subject (`kind:value`, see
/// `kapsel_core::retention::hold::identifier_text`): what the desk's suppression list, subject
/// holds and the retention engine's match of a row all compare.
pub fn identifier_hash(key: &[u8], kind: &str, value: &str) -> String {
    keyed_hash(
        key,
        &kapsel_core::retention::hold::identifier_text(kind, value),
    )
}

/// Whether a value already is a keyed hash (64 lowercase hex digits), so that a repeated run
/// does not hash the hash.
fn is_keyed_hash(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What erasure does to one field of a kept row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Change {
    Null,
    Hash,
}

/// The fields erasure may change in `table`, in the spec's order: the columns its selection
/// reads and [`decide`] looks at. None for a table whose rows are deleted (the decision needs no
/// value) or held whole.
pub(crate) fn erasable(table: &TableSpec) -> Vec<(&str, Change)> {
    if table.deletes_rows() {
        return Vec::new();
    }
    table
        .fields
        .iter()
        .filter_map(|(column, field)| match field.erasure {
            Erasure::SetNull => Some((column.as_str(), Change::Null)),
            Erasure::KeyedHash => Some((column.as_str(), Change::Hash)),
            Erasure::DeleteRow | Erasure::Hold { .. } => None,
        })
        .collect()
}

/// One field of a row to change: its column, its place among the row's values, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct FieldChange<'a> {
    pub column: &'a str,
    pub at: usize,
    pub change: Change,
}

pub(crate) enum Decision<'a> {
    Delete,
    /// The fields to change; empty when nothing is left to change.
    Update(Vec<FieldChange<'a>>),
}

/// What erasure does to one fetched row, whose values are the [`erasable`] `fields`.
pub(crate) fn decide<'a>(
    table: &TableSpec,
    fields: &[(&'a str, Change)],
    row: &Row,
) -> Decision<'a> {
    if table.deletes_rows() {
        return Decision::Delete;
    }
    let changes = fields
        .iter()
        .zip(&row.values)
        .enumerate()
        .filter_map(|(at, (&(column, change), value))| {
            let change = FieldChange { column, at, change };
            match (change.change, value) {
                (Change::Null, Some(_)) => Some(change),
                (Change::Hash, Some(v)) if !is_keyed_hash(v) => Some(change),
                _ => None,
            }
        })
        .collect();
    Decision::Update(changes)
}

/// Counts for `table` from the rows and decisions, as the plan and the outcome both report them.
fn count(table: &TableSpec, fields: &[(&str, Change)], rows: &[Row]) -> TableCounts {
    let held = !table.hold_grounds().is_empty();
    let mut counts = TableCounts {
        table: table.name.clone(),
        rows_found: rows.len() as u64,
        rows_deleted: 0,
        rows_updated: 0,
        rows_held: if held { rows.len() as u64 } else { 0 },
        hold_grounds: if held && !rows.is_empty() {
            table.hold_grounds()
        } else {
            Vec::new()
        },
        set_null: BTreeMap::new(),
        keyed_hash: BTreeMap::new(),
    };
    for row in rows {
        match decide(table, fields, row) {
            Decision::Delete => counts.rows_deleted += 1,
            Decision::Update(changes) => {
                if !changes.is_empty() {
                    counts.rows_updated += 1;
                }
                for FieldChange { column, change, .. } in changes {
                    let map = match change {
                        Change::Null => &mut counts.set_null,
                        Change::Hash => &mut counts.keyed_hash,
                    };
                    *map.entry(column.to_owned()).or_default() += 1;
                }
            }
        }
    }
    counts
}

/// The columns of [`erasable`] fields, as the selection names them.
fn columns<'a>(fields: &[(&'a str, Change)]) -> Vec<&'a str> {
    fields.iter().map(|&(column, _)| column).collect()
}

/// The dry run: what [`erase`] would do now, changing nothing.
pub async fn erasure_plan(
    spec: &DatasetSpec,
    conn: &Connection,
    subject: &Subject,
) -> Result<Plan, Error> {
    ready(spec, conn)?;
    let mut tables = Vec::new();
    for table in spec.parents_first().into_iter().rev() {
        let fields = erasable(table);
        let rows = select::rows(spec, table, subject, conn, &columns(&fields)).await?;
        tables.push(count(table, &fields, &rows));
    }
    Ok(Plan {
        dataset: spec.id.clone(),
        tables,
    })
}

/// Erases the subject's data in one transaction: every table's rows are selected (and locked)
/// first, because hashing a parent's identity column would otherwise hide its children; then the
/// tables are changed children first, so no row is deleted while another still references it.
/// Rows of a table that erasure changes are locked for update; those of a table it keeps whole
/// only against change ([`select::Lock`]). Kept rows that change the same fields share their
/// `UPDATE`s and deleted rows their `DELETE`s, a few hundred rows a statement. `hmac_key` keys the
/// `keyed_hash` fields. Each statement must change exactly the rows it names, or the whole
/// erasure rolls back ([`Error::Changed`]).
pub async fn erase(
    spec: &DatasetSpec,
    conn: &Connection,
    subject: &Subject,
    hmac_key: &[u8],
) -> Result<Outcome, Error> {
    ready(spec, conn)?;
    let engine = conn.engine();
    let mut tx = conn.begin().await?;
    let mut selected = Vec::new();
    for table in spec.parents_first() {
        let fields = erasable(table);
        let lock = if table.deletes_rows() || !fields.is_empty() {
            Lock::Update
        } else {
            Lock::Share
        };
        let rows = select::rows_in(spec, table, subject, &columns(&fields), lock, &mut tx).await?;
        selected.push((table, fields, rows));
    }
    let mut tables = Vec::new();
    for (table, fields, rows) in selected.into_iter().rev() {
        let mut deletes: Vec<Key> = Vec::new();
        // Rows that change the same fields the same way, in key order within each group.
        let mut updates: BTreeMap<Vec<FieldChange<'_>>, Vec<&Row>> = BTreeMap::new();
        for row in &rows {
            match decide(table, &fields, row) {
                Decision::Delete => deletes.push(row.key.clone().ok_or(Error::Key)?),
                Decision::Update(changes) if changes.is_empty() => {}
                Decision::Update(changes) => updates.entry(changes).or_default().push(row),
            }
        }
        for (changes, group) in &updates {
            for chunk in group.chunks(rows_per_update(changes)) {
                let sql = update_sql(engine, table, changes, chunk, hmac_key)?;
                if tx.execute(&sql).await? != chunk.len() as u64 {
                    return Err(Error::Changed(table.name.clone()));
                }
            }
        }
        for chunk in deletes.chunks(ROWS_PER_STATEMENT) {
            if tx.execute(&delete_sql(engine, table, chunk)).await? != chunk.len() as u64 {
                return Err(Error::Changed(table.name.clone()));
            }
        }
        tables.push(count(table, &fields, &rows));
    }
    tx.commit().await?;
    Ok(Outcome {
        dataset: spec.id.clone(),
        tables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hash_is_hex_hmac_sha256_and_recognised() {
        // RFC 4231 test case 2.
        assert_eq!(
            keyed_hash(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(is_keyed_hash(&keyed_hash(b"k", "ola@example.no")));
        assert!(!is_keyed_hash("ola@example.no"));
    }
}
