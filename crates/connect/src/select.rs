//! Which rows are the subject's: one rule shared by access, the dry run and the erasure, so the
//! three can never disagree. A table's rows are those whose identity column equals one of the
//! requester's identifiers of that kind, or whose relation column references a selected row of
//! the parent table, recursively. The parent selection is a subquery, so the database follows the
//! relations (with its indexes) and no key values travel back and forth.
//!
//! Equality is the column's own: on MySQL/MariaDB a case-insensitive collation matches
//! `KARI@example.no` to `kari@example.no`, as the operator's application already does.

use crate::Error;
use crate::Subject;
use crate::connection::{Connection, Row, Tx};
use crate::dialect::{Param, Sql};
use crate::{DatasetSpec, TableSpec};

/// Whether any row of `table` can be the subject's: an identity column of a kind the requester
/// gave, or a relation to such a table. A spec is acyclic after validation, so this ends.
pub(crate) fn reachable(spec: &DatasetSpec, table: &TableSpec, subject: &Subject) -> bool {
    table
        .identity
        .values()
        .any(|kind| given(subject, kind).is_some())
        || table.belongs_to.iter().any(|r| {
            spec.table(&r.table)
                .is_some_and(|p| reachable(spec, p, subject))
        })
}

/// A requester's identifier of `kind`; blank values find nothing (an empty column never means
/// "this person").
fn given<'a>(subject: &'a Subject, kind: &str) -> Option<&'a str> {
    subject
        .get(kind)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
}

/// Appends the condition selecting the subject's rows of a reachable `table`.
pub(crate) fn predicate(spec: &DatasetSpec, table: &TableSpec, subject: &Subject, sql: &mut Sql) {
    let mut first = true;
    let mut or = |sql: &mut Sql| {
        sql.push(if first { "(" } else { " OR " });
        first = false;
    };
    for (column, kind) in &table.identity {
        if let Some(value) = given(subject, kind) {
            or(sql);
            sql.ident(column)
                .push(" = ")
                .bind(Param::Text(value.to_owned()));
        }
    }
    for rel in &table.belongs_to {
        let Some(parent) = spec.table(&rel.table) else {
            continue;
        };
        if !reachable(spec, parent, subject) {
            continue;
        }
        or(sql);
        sql.ident(&rel.column)
            .push(" IN (SELECT ")
            .ident(&rel.references);
        sql.push(" FROM ").ident(&parent.name).push(" WHERE ");
        predicate(spec, parent, subject, sql);
        sql.push(")");
    }
    sql.push(if first { "1 = 0" } else { ")" });
}

/// `SELECT pk, fields as text… FROM table WHERE <subject's rows> ORDER BY pk`; the field order
/// is the spec's (sorted) field order. `for_update` locks the rows inside an erasure.
pub(crate) fn subject_rows_sql(
    spec: &DatasetSpec,
    table: &TableSpec,
    subject: &Subject,
    conn_engine: crate::SqlEngine,
    for_update: bool,
) -> Sql {
    let mut sql = Sql::new(conn_engine);
    sql.push("SELECT ").ident(&table.primary_key);
    for column in table.fields.keys() {
        sql.push(", ").ident_as_text(column);
    }
    sql.push(" FROM ").ident(&table.name).push(" WHERE ");
    predicate(spec, table, subject, &mut sql);
    sql.push(" ORDER BY ").ident(&table.primary_key);
    if for_update && conn_engine != crate::SqlEngine::Sqlite {
        // SQLite's erasure transaction is BEGIN IMMEDIATE, which already excludes other writers.
        sql.push(" FOR UPDATE");
    }
    sql
}

/// The subject's rows of `table` (none when it is unreachable), outside a transaction.
pub(crate) async fn rows(
    spec: &DatasetSpec,
    table: &TableSpec,
    subject: &Subject,
    conn: &Connection,
) -> Result<Vec<Row>, Error> {
    if !reachable(spec, table, subject) {
        return Ok(Vec::new());
    }
    conn.fetch(
        &subject_rows_sql(spec, table, subject, conn.engine(), false),
        true,
    )
    .await
}

/// The same rows inside an erasure's transaction, locked where the engine can.
pub(crate) async fn rows_in(
    spec: &DatasetSpec,
    table: &TableSpec,
    subject: &Subject,
    engine: crate::SqlEngine,
    tx: &mut Tx,
) -> Result<Vec<Row>, Error> {
    if !reachable(spec, table, subject) {
        return Ok(Vec::new());
    }
    tx.fetch(&subject_rows_sql(spec, table, subject, engine, true), true)
        .await
}
