//! Erasure (art. 17): a dry run that says, per table, how many rows are deleted, which fields are
//! nulled or hashed and which rows are kept under which legal ground; and the run itself, in one
//! transaction per dataset, so a crash leaves everything or nothing changed. Both take their rows
//! from the same selection and their decisions from the same function ([`decide`]), which is why
//! the plan's counts are the outcome's. A value already nulled or hashed is not counted or changed
//! again, so a second run reports zero: the run is idempotent and safe to repeat after a crash.

use std::collections::BTreeMap;

use ring::hmac;
use serde::Serialize;

use crate::connection::{Connection, Key, Row};
use crate::dialect::{Param, Sql};
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

/// Whether a value already is a keyed hash (64 lowercase hex digits), so that a repeated run
/// does not hash the hash.
fn is_keyed_hash(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

enum Change {
    Null,
    Hash,
}

enum Decision {
    Delete,
    /// Column → change; empty when nothing is left to change.
    Update(Vec<(String, Change)>),
}

/// What erasure does to one fetched row (its values in the spec's field order).
fn decide(table: &TableSpec, row: &Row) -> Decision {
    if table.deletes_rows() {
        return Decision::Delete;
    }
    let changes = table
        .fields
        .iter()
        .zip(&row.values)
        .filter_map(|((column, field), value)| match (&field.erasure, value) {
            (Erasure::SetNull, Some(_)) => Some((column.clone(), Change::Null)),
            (Erasure::KeyedHash, Some(v)) if !is_keyed_hash(v) => {
                Some((column.clone(), Change::Hash))
            }
            _ => None,
        })
        .collect();
    Decision::Update(changes)
}

/// Counts for `table` from the rows and decisions, as the plan and the outcome both report them.
fn count(table: &TableSpec, rows: &[Row]) -> TableCounts {
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
        match decide(table, row) {
            Decision::Delete => counts.rows_deleted += 1,
            Decision::Update(changes) => {
                if !changes.is_empty() {
                    counts.rows_updated += 1;
                }
                for (column, change) in changes {
                    let map = match change {
                        Change::Null => &mut counts.set_null,
                        Change::Hash => &mut counts.keyed_hash,
                    };
                    *map.entry(column).or_default() += 1;
                }
            }
        }
    }
    counts
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
        let rows = select::rows(spec, table, subject, conn).await?;
        tables.push(count(table, &rows));
    }
    Ok(Plan {
        dataset: spec.id.clone(),
        tables,
    })
}

/// How many keys one `DELETE … IN (…)` carries (well under every engine's parameter limit).
const DELETE_CHUNK: usize = 500;

/// Erases the subject's data in one transaction: every table's rows are selected (and locked)
/// first, because hashing a parent's identity column would otherwise hide its children; then the
/// tables are changed children first, so no row is deleted while another still references it.
/// `hmac_key` keys the `keyed_hash` fields. Each statement must change exactly the rows selected,
/// or the whole erasure rolls back ([`Error::Changed`]).
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
        let rows = select::rows_in(spec, table, subject, engine, &mut tx).await?;
        selected.push((table, rows));
    }
    let mut tables = Vec::new();
    for (table, rows) in selected.into_iter().rev() {
        let mut deletes: Vec<Key> = Vec::new();
        for row in &rows {
            let key = row.key.clone().ok_or(Error::Key)?;
            match decide(table, row) {
                Decision::Delete => deletes.push(key),
                Decision::Update(changes) if changes.is_empty() => {}
                Decision::Update(changes) => {
                    let mut sql = Sql::new(engine);
                    sql.push("UPDATE ").ident(&table.name).push(" SET ");
                    for (i, (column, change)) in changes.iter().enumerate() {
                        if i > 0 {
                            sql.push(", ");
                        }
                        sql.ident(column).push(" = ");
                        match change {
                            Change::Null => {
                                sql.push("NULL");
                            }
                            Change::Hash => {
                                let at = table.fields.keys().position(|c| c == column);
                                let value = at
                                    .and_then(|i| row.values.get(i))
                                    .and_then(Option::as_deref)
                                    .unwrap_or_default();
                                sql.bind(Param::Text(keyed_hash(hmac_key, value)));
                            }
                        }
                    }
                    sql.push(" WHERE ").ident(&table.primary_key).push(" = ");
                    sql.bind(key.param());
                    if tx.execute(&sql).await? != 1 {
                        return Err(Error::Changed(table.name.clone()));
                    }
                }
            }
        }
        for chunk in deletes.chunks(DELETE_CHUNK) {
            let mut sql = Sql::new(engine);
            sql.push("DELETE FROM ").ident(&table.name).push(" WHERE ");
            sql.ident(&table.primary_key).push(" IN (");
            for (i, key) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.bind(key.param());
            }
            sql.push(")");
            if tx.execute(&sql).await? != chunk.len() as u64 {
                return Err(Error::Changed(table.name.clone()));
            }
        }
        tables.push(count(table, &rows));
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
