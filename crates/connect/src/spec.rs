//! The declaration of one dataset in the operator's database: which tables hold a data subject's
//! rows, how they are found (identity columns, then relations), and what erasure does to each
//! declared field. Plain serde types so that the privacy file can carry them as `[[datasets]]`;
//! nothing here touches a database, and nothing is trusted before [`DatasetSpec::validate`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One dataset: a set of tables on one named connection (its credentials live in settings).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    pub id: String,
    /// The `[connectors.NAME]` in settings that holds the URL and credentials.
    pub connection: String,
    pub engine: Engine,
    pub tables: Vec<TableSpec>,
}

/// The database engines a SQL dataset can live on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Postgres,
    Mysql,
    Sqlite,
}

/// One table of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    pub name: String,
    /// The column rows are ordered and addressed by (one column).
    pub primary_key: String,
    /// Column → identifier kind (`email`, `phone`, `customer_no`): a requester's identifier of
    /// that kind finds the rows whose column equals it.
    #[serde(default)]
    pub identity: BTreeMap<String, String>,
    /// Relations to follow: rows whose `column` references a found row of `table`.
    #[serde(default)]
    pub belongs_to: Vec<Relation>,
    /// Column → what it holds and what erasure does to it. Only declared fields are exported.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSpec>,
}

/// `column` of this table references `references` of `table` (orders.customer_id → customers.id).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    pub column: String,
    pub table: String,
    pub references: String,
}

/// One declared column.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The data category (as the privacy file names it).
    pub category: String,
    /// The processing activity the field serves.
    pub activity: String,
    pub erasure: Erasure,
}

/// What erasure does to a field. A table with any `delete_row` field has its rows deleted; a table
/// with any `hold` field keeps its rows (the held fields untouched) and only nulls or hashes the
/// rest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Erasure {
    DeleteRow,
    SetNull,
    /// Replaced by the hex HMAC-SHA256 of its value under the key from settings, so that records
    /// can still be joined on it without revealing it.
    KeyedHash,
    /// Kept under a legal obligation, with its ground (e.g. "bokføringsloven § 13").
    Hold {
        ground: String,
    },
}

impl DatasetSpec {
    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&TableSpec> {
        self.tables.iter().find(|t| t.name == name)
    }
}

impl TableSpec {
    /// Whether erasure deletes this table's rows.
    pub fn deletes_rows(&self) -> bool {
        self.fields
            .values()
            .any(|f| f.erasure == Erasure::DeleteRow)
    }

    /// The distinct legal grounds this table's held fields name.
    pub fn hold_grounds(&self) -> Vec<String> {
        let mut grounds: Vec<String> = self
            .fields
            .values()
            .filter_map(|f| match &f.erasure {
                Erasure::Hold { ground } => Some(ground.clone()),
                _ => None,
            })
            .collect();
        grounds.sort();
        grounds.dedup();
        grounds
    }

    /// Every column the declaration names for this table.
    pub fn known_columns(&self) -> Vec<&str> {
        let mut columns = vec![self.primary_key.as_str()];
        columns.extend(self.identity.keys().map(String::as_str));
        columns.extend(self.belongs_to.iter().map(|r| r.column.as_str()));
        columns.extend(self.fields.keys().map(String::as_str));
        columns.sort_unstable();
        columns.dedup();
        columns
    }
}
