//! Subject holds in a retention batch: which identity values of a row are compared with the
//! holds' keyed hashes — the table's own identity columns and those of each table it belongs to
//! directly — and the comparison itself.

use std::collections::BTreeSet;

use crate::dialect::Sql;
use crate::erase::identifier_hash;
use crate::{DatasetSpec, TableSpec};

/// The keyed hashes (under the desk's key) of identifiers whose rows are held, with the key to
/// hash a row's identity values the same way.
#[derive(Debug, Clone, Default)]
pub struct SubjectHolds {
    pub hashes: BTreeSet<String>,
    pub key: Vec<u8>,
}

impl SubjectHolds {
    /// Whether any of a row's identity `values` (of the `kinds` in the same order) is held.
    pub(super) fn holds(&self, kinds: &[&str], values: &[Option<String>]) -> bool {
        !self.hashes.is_empty()
            && kinds.iter().zip(values).any(|(kind, value)| {
                value
                    .as_deref()
                    .is_some_and(|v| self.hashes.contains(&identifier_hash(&self.key, kind, v)))
            })
    }
}

/// `, <identity column as text>…, (SELECT <parent identity> FROM parent WHERE parent.ref =
/// table.col)…`: the values a subject's hold is matched on, the table's own identity columns
/// and those of each table it belongs to directly.
pub(super) fn push_identity(sql: &mut Sql, spec: &DatasetSpec, table: &TableSpec) {
    for column in table.identity.keys() {
        sql.push(", ").ident_as_text(column);
    }
    for relation in &table.belongs_to {
        let Some(parent) = spec.table(&relation.table) else {
            continue;
        };
        for column in parent.identity.keys() {
            sql.push(", (SELECT ").ident_as_text(column).push(" FROM ");
            sql.ident(&parent.name)
                .push(" WHERE ")
                .ident(&parent.name)
                .push(".");
            sql.ident(&relation.references)
                .push(" = ")
                .ident(&table.name)
                .push(".");
            sql.ident(&relation.column).push(")");
        }
    }
}

/// The identifier kinds of the values [`push_identity`] selects, in the same order.
pub(super) fn identity_kinds<'a>(spec: &'a DatasetSpec, table: &'a TableSpec) -> Vec<&'a str> {
    let mut kinds: Vec<&str> = table.identity.values().map(String::as_str).collect();
    for relation in &table.belongs_to {
        if let Some(parent) = spec.table(&relation.table) {
            kinds.extend(parent.identity.values().map(String::as_str));
        }
    }
    kinds
}
