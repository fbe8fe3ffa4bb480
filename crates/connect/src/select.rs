//! Which rows are the subject's: one rule shared by access, the dry run and the erasure, so the
//! three can never disagree. A table's rows are those whose identity column equals one of the
//! requester's identifiers of that kind, or whose relation column references a selected row of
//! the parent table, recursively. The parent selection is a subquery, so the database follows the
//! relations (with its indexes) and no key values travel back and forth.
//!
//! Equality is the column's own: on MySQL/MariaDB a case-insensitive collation matches
//! `KARI@example.no` to `kari@example.no`, as the operator's application already does.

use crate::Subject;
use crate::connection::{Connection, Row, Tx};
use crate::dialect::{Param, Sql};
use crate::{DatasetSpec, TableSpec};
use crate::{Error, SqlEngine};

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

/// How an erasure's selection locks what it reads (SQLite needs none: its erasure transaction is
/// `BEGIN IMMEDIATE`, which already excludes every other writer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    /// A plain read: access, the dry run, a preview.
    None,
    /// Rows the erasure keeps whole: others may still read them and reference them (a foreign
    /// key check of a new order line), but not change or delete them before the erasure ends, so
    /// the children selected through them stay the children of what was counted.
    Share,
    /// Rows the erasure may change or delete.
    Update,
}

/// `SELECT pk, columns as text… FROM table WHERE <subject's rows> ORDER BY pk`, with `columns`
/// in the order given and the rows locked as `lock` says.
pub(crate) fn subject_rows_sql(
    spec: &DatasetSpec,
    table: &TableSpec,
    subject: &Subject,
    conn_engine: SqlEngine,
    columns: &[&str],
    lock: Lock,
) -> Sql {
    let mut sql = Sql::new(conn_engine);
    sql.push("SELECT ").ident(&table.primary_key);
    for column in columns {
        sql.push(", ").ident_as_text(column);
    }
    sql.push(" FROM ").ident(&table.name).push(" WHERE ");
    predicate(spec, table, subject, &mut sql);
    sql.push(" ORDER BY ").ident(&table.primary_key);
    sql.push(match (conn_engine, lock) {
        (SqlEngine::Sqlite, _) | (_, Lock::None) => "",
        (_, Lock::Update) => " FOR UPDATE",
        (SqlEngine::Postgres, Lock::Share) => " FOR SHARE",
        // MariaDB (10.x) knows only this spelling; MySQL 8 accepts it beside FOR SHARE.
        (SqlEngine::Mysql, Lock::Share) => " LOCK IN SHARE MODE",
    });
    sql
}

/// Every declared field of `table`, in the spec's (sorted) order: what access exports.
pub(crate) fn all_fields(table: &TableSpec) -> Vec<&str> {
    table.fields.keys().map(String::as_str).collect()
}

/// The subject's rows of `table` (none when it is unreachable) with `columns`, outside a
/// transaction.
pub(crate) async fn rows(
    spec: &DatasetSpec,
    table: &TableSpec,
    subject: &Subject,
    conn: &Connection,
    columns: &[&str],
) -> Result<Vec<Row>, Error> {
    if !reachable(spec, table, subject) {
        return Ok(Vec::new());
    }
    let sql = subject_rows_sql(spec, table, subject, conn.engine(), columns, Lock::None);
    conn.fetch(&sql, true).await
}

/// The same rows inside a transaction, locked as `lock` says where the engine can.
pub(crate) async fn rows_in(
    spec: &DatasetSpec,
    table: &TableSpec,
    subject: &Subject,
    columns: &[&str],
    lock: Lock,
    tx: &mut Tx,
) -> Result<Vec<Row>, Error> {
    if !reachable(spec, table, subject) {
        return Ok(Vec::new());
    }
    let sql = subject_rows_sql(spec, table, subject, tx.engine(), columns, lock);
    tx.fetch(&sql, true).await
}
