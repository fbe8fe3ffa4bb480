//! What an access or portability request (arts. 15, 20) found in one dataset: per table the
//! declared fields of the subject's rows, as text or null. `kapsel_connect` fills it from the
//! operator's database; the access bundle is written from it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One dataset's export.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessResult {
    pub dataset: String,
    /// In the spec's table order.
    pub tables: Vec<TableRows>,
}

/// One table's rows of the subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRows {
    pub table: String,
    /// The declared fields, in the order of every row and of the CSV header.
    pub columns: Vec<String>,
    /// Each row: field → text value or null.
    pub rows: Vec<Map<String, Value>>,
}

impl AccessResult {
    /// How many rows the dataset holds of the subject.
    pub fn row_count(&self) -> usize {
        self.tables.iter().map(|t| t.rows.len()).sum()
    }

    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&TableRows> {
        self.tables.iter().find(|t| t.table == name)
    }
}
