//! `[[datasets]]`: where the operator keeps personal data, so that the request desk can find,
//! export and erase a requester's data there. A SQL dataset names its tables, the identity
//! columns that find a data subject, the relations that lead from those rows to the rest, and
//! per field what it holds and what erasure does to it. A webhook dataset is another system
//! that answers signed requests; a manual dataset is a task a person carries out and ticks off.
//!
//! The connection is named here and its URL and credentials live in settings
//! (`[connectors.NAME]`), never in the file. Nothing here touches a database; `kapsel_connect`
//! uses a spec only after [`DatasetSpec::validate`] (in `validate_datasets`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One dataset: a set of tables on one named connection, another system behind a webhook, or a
/// manual task.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct DatasetSpec {
    pub id: String,
    /// The `[connectors.NAME]` in settings that holds the URL and credentials; none for a
    /// manual dataset.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub connection: String,
    pub engine: Engine,
    /// The tables of a SQL dataset; none for a webhook or manual one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableSpec>,
    /// The identifier kinds a webhook is sent (`email`, `customer_no`, …); SQL datasets take
    /// theirs from the tables' identity columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifiers: Vec<String>,
    /// What a person must do for a manual dataset ("Search the paper archive in room 2 and
    /// shred the customer's folder"); shown to the privacy lead as a checklist item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
}

/// Where a dataset lives: one of the SQL engines, another system reached by a webhook, or a
/// system with no API that a person handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Postgres,
    Mysql,
    Sqlite,
    Webhook,
    Manual,
}

impl Engine {
    pub const ALL: [Engine; 5] = [
        Engine::Postgres,
        Engine::Mysql,
        Engine::Sqlite,
        Engine::Webhook,
        Engine::Manual,
    ];

    /// Whether the dataset is tables in a database Kapsel queries itself.
    pub fn is_sql(self) -> bool {
        matches!(self, Engine::Postgres | Engine::Mysql | Engine::Sqlite)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Sqlite => "sqlite",
            Engine::Webhook => "webhook",
            Engine::Manual => "manual",
        }
    }
}

/// One table of a dataset.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
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
pub struct Relation {
    pub column: String,
    pub table: String,
    pub references: String,
}

/// One declared column.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
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
#[serde(rename_all = "snake_case")]
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
    /// The identifier kinds that find a subject in this dataset, each once, sorted.
    pub fn identifier_kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = self
            .tables
            .iter()
            .flat_map(|t| t.identity.values().map(String::as_str))
            .chain(self.identifiers.iter().map(String::as_str))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        kinds
    }

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
