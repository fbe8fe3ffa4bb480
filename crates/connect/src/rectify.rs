//! Rectification (art. 16): a declared field of the subject's rows in one table set to the
//! corrected value. [`rectify_preview`] shows the privacy lead what would change (the rows and
//! their current values); [`rectify`] applies it on approval, in one transaction that changes
//! exactly the rows the preview showed or nothing. Applying it again changes nothing more.

use serde::Serialize;

use crate::connection::Connection;
use crate::dialect::{Param, Sql};
use crate::select::Lock;
use crate::{DatasetSpec, Error, Subject, TableSpec, ready, select};

/// One proposed correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Correction {
    pub table: String,
    pub column: String,
    /// The corrected value; `None` clears the field.
    pub value: Option<String>,
}

/// What a correction would change (or changed): how many of the subject's rows the table
/// holds and how many of them differ from the corrected value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rectified {
    pub dataset: String,
    pub table: String,
    pub column: String,
    pub rows_found: u64,
    pub rows_changed: u64,
}

/// The table and column of `correction`, when both are declared (only declared fields are
/// ever written).
fn target<'a>(spec: &'a DatasetSpec, correction: &Correction) -> Result<&'a TableSpec, Error> {
    let table = spec
        .table(&correction.table)
        .ok_or_else(|| Error::Undeclared(format!("table {:?}", correction.table)))?;
    if !table.fields.contains_key(&correction.column) {
        return Err(Error::Undeclared(format!(
            "field {:?} of table {:?}",
            correction.column, correction.table
        )));
    }
    Ok(table)
}

fn differing(table: &TableSpec, rows: &[crate::connection::Row], correction: &Correction) -> u64 {
    let at = table.fields.keys().position(|c| *c == correction.column);
    rows.iter()
        .filter(|row| at.and_then(|i| row.values.get(i)).cloned().flatten() != correction.value)
        .count() as u64
}

/// What `correction` would change, without changing anything.
pub async fn rectify_preview(
    spec: &DatasetSpec,
    conn: &Connection,
    subject: &Subject,
    correction: &Correction,
) -> Result<Rectified, Error> {
    ready(spec, conn)?;
    let table = target(spec, correction)?;
    let rows = select::rows(spec, table, subject, conn, &select::all_fields(table)).await?;
    Ok(Rectified {
        dataset: spec.id.clone(),
        table: table.name.clone(),
        column: correction.column.clone(),
        rows_found: rows.len() as u64,
        rows_changed: differing(table, &rows, correction),
    })
}

/// Applies `correction` to the subject's rows, in one transaction.
pub async fn rectify(
    spec: &DatasetSpec,
    conn: &Connection,
    subject: &Subject,
    correction: &Correction,
) -> Result<Rectified, Error> {
    ready(spec, conn)?;
    let table = target(spec, correction)?;
    let engine = conn.engine();
    let mut tx = conn.begin().await?;
    let fields = select::all_fields(table);
    let rows = select::rows_in(spec, table, subject, &fields, Lock::Update, &mut tx).await?;
    let changed = differing(table, &rows, correction);
    let at = table.fields.keys().position(|c| *c == correction.column);
    for row in &rows {
        if at.and_then(|i| row.values.get(i)).cloned().flatten() == correction.value {
            continue;
        }
        let key = row.key.clone().ok_or(Error::Key)?;
        let mut sql = Sql::new(engine);
        sql.push("UPDATE ").ident(&table.name).push(" SET ");
        sql.ident(&correction.column).push(" = ");
        match &correction.value {
            Some(value) => sql.bind(Param::Text(value.clone())),
            None => sql.push("NULL"),
        };
        sql.push(" WHERE ").ident(&table.primary_key).push(" = ");
        sql.bind(key.param());
        if tx.execute(&sql).await? != 1 {
            return Err(Error::Changed(table.name.clone()));
        }
    }
    tx.commit().await?;
    Ok(Rectified {
        dataset: spec.id.clone(),
        table: table.name.clone(),
        column: correction.column.clone(),
        rows_found: rows.len() as u64,
        rows_changed: changed,
    })
}
