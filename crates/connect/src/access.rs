//! Access and portability (arts. 15 and 20): the subject's rows of every declared table, each as
//! a JSON object of its declared fields (undeclared columns never leave the database), ordered by
//! primary key so that two exports of the same data are identical.

use kapsel_core::desk::{AccessResult, TableRows};
use serde_json::Value;

use crate::DatasetSpec;
use crate::connection::Connection;
use crate::{Error, Subject, ready, select};

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
        let rows = select::rows(spec, table, subject, conn, &select::all_fields(table))
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
