//! `kapsel datasets test`: does the live database match the declaration? Every declared table and
//! column must exist (a typo would otherwise make access silently incomplete), and every identity
//! column should lead an index (otherwise each request scans the table).

use std::collections::BTreeSet;

use serde::Serialize;

use crate::connection::Connection;
use crate::dialect::{Param, Sql};
use crate::{DatasetSpec, SqlEngine};
use crate::{Error, ready};

/// What the live schema lacks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Declared tables the database does not have.
    pub missing_tables: Vec<String>,
    /// `table.column` declared but not in the table.
    pub missing_columns: Vec<String>,
    /// `table.column` identity columns that lead no index.
    pub unindexed_identity: Vec<String>,
}

impl CheckReport {
    /// Whether every declared table and column exists (missing indexes only slow requests).
    pub fn is_usable(&self) -> bool {
        self.missing_tables.is_empty() && self.missing_columns.is_empty()
    }
}

/// Compares `spec` with the schema behind `conn`.
pub async fn check(spec: &DatasetSpec, conn: &Connection) -> Result<CheckReport, Error> {
    ready(spec, conn)?;
    let engine = conn.engine();
    let mut report = CheckReport::default();
    for table in &spec.tables {
        let columns = names(conn, &columns_sql(engine, &table.name)).await?;
        if columns.is_empty() {
            report.missing_tables.push(table.name.clone());
            continue;
        }
        for column in table.known_columns() {
            if !columns.contains(column) {
                report
                    .missing_columns
                    .push(format!("{}.{column}", table.name));
            }
        }
        let indexed = names(conn, &leading_index_columns_sql(engine, &table.name)).await?;
        for column in table.identity.keys() {
            if columns.contains(column.as_str())
                && !indexed.contains(column.as_str())
                && *column != table.primary_key
            {
                report
                    .unindexed_identity
                    .push(format!("{}.{column}", table.name));
            }
        }
    }
    Ok(report)
}

/// What the live schema lacks for one retention rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleCheckReport {
    pub missing_table: bool,
    /// `table.column` the rule reads or changes but the table lacks.
    pub missing_columns: Vec<String>,
    /// The timestamp column leads no index: every batch would scan the table.
    pub unindexed_timestamp: bool,
}

impl RuleCheckReport {
    pub fn is_usable(&self) -> bool {
        !self.missing_table && self.missing_columns.is_empty()
    }
}

/// Compares retention `rule` (on one of `spec`'s tables) with the schema behind `conn`.
pub async fn check_rule(
    spec: &DatasetSpec,
    rule: &kapsel_core::privacy::RetentionRule,
    conn: &Connection,
) -> Result<RuleCheckReport, Error> {
    ready(spec, conn)?;
    let engine = conn.engine();
    let mut report = RuleCheckReport::default();
    let columns = names(conn, &columns_sql(engine, &rule.table)).await?;
    if columns.is_empty() {
        report.missing_table = true;
        return Ok(report);
    }
    for column in rule.columns() {
        if !columns.contains(column) {
            report
                .missing_columns
                .push(format!("{}.{column}", rule.table));
        }
    }
    let indexed = names(conn, &leading_index_columns_sql(engine, &rule.table)).await?;
    report.unindexed_timestamp =
        columns.contains(&rule.timestamp) && !indexed.contains(&rule.timestamp);
    Ok(report)
}

async fn names(conn: &Connection, sql: &Sql) -> Result<BTreeSet<String>, Error> {
    Ok(conn
        .fetch(sql, false)
        .await?
        .into_iter()
        .filter_map(|row| row.values.into_iter().next().flatten())
        .collect())
}

/// The table's column names (none when the table does not exist), in the current schema.
fn columns_sql(engine: SqlEngine, table: &str) -> Sql {
    let mut sql = Sql::new(engine);
    match engine {
        SqlEngine::Postgres => sql.push(
            "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = ",
        ),
        SqlEngine::Mysql => sql.push(
            "SELECT CAST(column_name AS CHAR) FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = ",
        ),
        SqlEngine::Sqlite => sql.push("SELECT name FROM pragma_table_info("),
    };
    sql.bind(Param::Text(table.to_owned()));
    if engine == SqlEngine::Sqlite {
        sql.push(")");
    }
    sql
}

/// The columns that lead some index of the table (an index on (a, b) serves lookups by a).
fn leading_index_columns_sql(engine: SqlEngine, table: &str) -> Sql {
    let mut sql = Sql::new(engine);
    match engine {
        SqlEngine::Postgres => sql.push(
            "SELECT CAST(a.attname AS TEXT) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] \
             WHERE n.nspname = current_schema() AND c.relname = ",
        ),
        SqlEngine::Mysql => sql.push(
            "SELECT CAST(column_name AS CHAR) FROM information_schema.statistics \
             WHERE table_schema = DATABASE() AND seq_in_index = 1 AND table_name = ",
        ),
        SqlEngine::Sqlite => sql.push("SELECT ii.name FROM pragma_index_list("),
    };
    sql.bind(Param::Text(table.to_owned()));
    if engine == SqlEngine::Sqlite {
        sql.push(") AS il JOIN pragma_index_info(il.name) AS ii WHERE ii.seqno = 0");
    }
    sql
}
