//! Access and portability (arts. 15 and 20): the subject's rows of every declared table, each as
//! a JSON object of its declared fields (undeclared columns never leave the database), ordered by
//! primary key so that two exports of the same data are identical. CSV per table for the bundle.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::connection::Connection;
use crate::spec::DatasetSpec;
use crate::{Error, Subject, ready, select};

/// One dataset's export.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessResult {
    pub dataset: String,
    /// In the spec's table order.
    pub tables: Vec<TableRows>,
}

/// One table's rows of the subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRows {
    pub table: String,
    /// The declared fields, in the order of every row and of the CSV header.
    pub columns: Vec<String>,
    /// Each row: field → text value or null.
    pub rows: Vec<Map<String, Value>>,
}

/// The subject's rows in every table of `spec`.
pub async fn access(
    spec: &DatasetSpec,
    conn: &Connection,
    subject: &Subject,
) -> Result<AccessResult, Error> {
    ready(spec, conn)?;
    let mut tables = Vec::with_capacity(spec.tables.len());
    for table in &spec.tables {
        let columns: Vec<String> = table.fields.keys().cloned().collect();
        let rows = select::rows(spec, table, subject, conn)
            .await?
            .into_iter()
            .map(|row| {
                columns
                    .iter()
                    .cloned()
                    .zip(
                        row.values
                            .into_iter()
                            .map(|v| v.map_or(Value::Null, Value::String)),
                    )
                    .collect()
            })
            .collect();
        tables.push(TableRows {
            table: table.name.clone(),
            columns,
            rows,
        });
    }
    Ok(AccessResult {
        dataset: spec.id.clone(),
        tables,
    })
}

impl AccessResult {
    /// The number of rows over all tables.
    pub fn row_count(&self) -> usize {
        self.tables.iter().map(|t| t.rows.len()).sum()
    }

    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&TableRows> {
        self.tables.iter().find(|t| t.table == name)
    }
}

impl TableRows {
    /// RFC 4180 CSV: a header of the declared fields, then one line per row; null is an empty
    /// field. Every field is quoted so that commas, quotes and line breaks in data stay inside it.
    pub fn to_csv(&self) -> String {
        fn cell(s: &str) -> String {
            format!("\"{}\"", s.replace('"', "\"\""))
        }
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| cell(c)).collect();
        out.push_str(&header.join(","));
        out.push_str("\r\n");
        for row in &self.rows {
            let line: Vec<String> = self
                .columns
                .iter()
                .map(|c| match row.get(c) {
                    Some(Value::String(s)) => cell(s),
                    _ => String::new(),
                })
                .collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_everything_and_leaves_null_empty() {
        let mut row = Map::new();
        row.insert("a".into(), Value::String("x,\"y\"\nz".into()));
        row.insert("b".into(), Value::Null);
        let t = TableRows {
            table: "t".into(),
            columns: vec!["a".into(), "b".into()],
            rows: vec![row],
        };
        assert_eq!(t.to_csv(), "\"a\",\"b\"\r\n\"x,\"\"y\"\"\nz\",\r\n");
    }
}
