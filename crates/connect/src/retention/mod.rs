//! Retention (storage limitation, art. 5(1)(e)) in the operator's database: a rule's dry run
//! ([`retention_plan`]: how many rows have expired, how many of them are held, the oldest), and
//! the run in bounded batches: [`next_batch`] finds the next key range of at most `limit`
//! expired rows (keyset pagination on the primary key, nothing locked), and [`run_batch`]
//! deletes or anonymises exactly the expired rows of that range in one short transaction. The
//! caller records the range before and the outcome after, so a batch interrupted by a crash is
//! run again over the same range: deleted rows are gone and anonymisation is idempotent, so
//! nothing is processed twice and nothing is missed.
//!
//! Rows of a data subject under a legal hold are kept: their identity columns, and those of the
//! tables they belong to directly, are compared by keyed hash with the holds' hashes. Partition
//! drops on PostgreSQL are in `partitions`.

mod condition;
mod partitions;

use std::collections::{BTreeMap, BTreeSet};

use kapsel_core::Millis;
use kapsel_core::privacy::{Anonymise, RetentionAction, RetentionRule};
use kapsel_core::retention::generalise::generalise;
use kapsel_core::retention::hold::identifier_text;
use serde::Serialize;

use crate::batch::{ROWS_PER_STATEMENT, delete_sql};
use crate::connection::{Connection, Key, Row, Tx};
use crate::dialect::{Param, Sql};
use crate::erase::keyed_hash;
use crate::{DatasetSpec, Error, SqlEngine, TableSpec, ready};
use condition::{Cutoff, push_expired, push_range};
pub use partitions::{Partition, drop_partition, expired_partitions};

/// The keyed hashes (under the desk's key) of identifiers whose rows are held, with the key to
/// hash a row's identity values the same way.
#[derive(Debug, Clone, Default)]
pub struct SubjectHolds {
    pub hashes: BTreeSet<String>,
    pub key: Vec<u8>,
}

impl SubjectHolds {
    /// Whether any of a row's identity `values` (of the `kinds` in the same order) is held.
    fn holds(&self, kinds: &[&str], values: &[Option<String>]) -> bool {
        !self.hashes.is_empty()
            && kinds.iter().zip(values).any(|(kind, value)| {
                value.as_deref().is_some_and(|v| {
                    self.hashes
                        .contains(&keyed_hash(&self.key, &identifier_text(kind, v)))
                })
            })
    }
}

/// A rule's dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RulePlan {
    /// Every row of the table.
    pub table_rows: u64,
    /// Rows whose period has run out (including held ones).
    pub expired: u64,
    /// Expired rows kept under a subject's legal hold.
    pub held: u64,
    /// The oldest expired timestamp, as the database writes it.
    pub oldest: Option<String>,
}

impl RulePlan {
    /// The share of the table a run would delete or change.
    pub fn share(&self) -> f64 {
        if self.table_rows == 0 {
            return 0.0;
        }
        // Row counts are far below 2^53, where f64 stops being exact.
        #[allow(clippy::cast_precision_loss)]
        let share = (self.expired - self.held) as f64 / self.table_rows as f64;
        share
    }
}

/// One batch's key range: the expired rows with `after < key <= through`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub after: Option<Key>,
    pub through: Key,
    /// Expired rows in the range when it was chosen.
    pub rows: u64,
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    pub deleted: u64,
    pub anonymised: u64,
    /// Expired rows already as anonymisation makes them.
    pub unchanged: u64,
    pub held: u64,
}

/// The dry run of `rule` at `cutoff_ms`.
pub async fn retention_plan(
    conn: &Connection,
    spec: &DatasetSpec,
    rule: &RetentionRule,
    cutoff_ms: Millis,
    holds: &SubjectHolds,
) -> Result<RulePlan, Error> {
    let table = rule_table(conn, spec, rule)?;
    let cutoff = Cutoff::for_column(conn, rule, &table.name, cutoff_ms).await?;
    let engine = conn.engine();
    let mut all = Sql::new(engine);
    all.push("SELECT ")
        .push(count_text(engine))
        .push(" FROM ")
        .ident(&table.name);
    let mut expired = Sql::new(engine);
    expired
        .push("SELECT ")
        .push(count_text(engine))
        .push(", CAST(MIN(");
    expired
        .ident(&rule.timestamp)
        .push(") AS ")
        .push(text_type(engine));
    expired.push(") FROM ").ident(&table.name).push(" WHERE ");
    push_expired(&mut expired, rule, &cutoff);
    let table_rows = first_count(&conn.fetch(&all, false).await?);
    let found = conn.fetch(&expired, false).await?;
    let oldest = found
        .first()
        .and_then(|r| r.values.get(1).cloned().flatten());
    let mut held = 0;
    if !holds.hashes.is_empty() {
        let mut after = None;
        loop {
            let rows = identity_page(conn, spec, table, rule, &cutoff, after.as_ref()).await?;
            let Some(last) = rows.last() else { break };
            after.clone_from(&last.key);
            let kinds = identity_kinds(spec, table);
            held += rows
                .iter()
                .filter(|r| holds.holds(&kinds, &r.values))
                .count() as u64;
        }
    }
    Ok(RulePlan {
        table_rows,
        expired: first_count(&found),
        held,
        oldest,
    })
}

/// The next range of at most `limit` expired rows after `after`, or `None` when no expired row
/// is left there. Reads keys only and locks nothing.
pub async fn next_batch(
    conn: &Connection,
    spec: &DatasetSpec,
    rule: &RetentionRule,
    cutoff_ms: Millis,
    after: Option<&Key>,
    limit: u64,
) -> Result<Option<Batch>, Error> {
    let table = rule_table(conn, spec, rule)?;
    let cutoff = Cutoff::for_column(conn, rule, &table.name, cutoff_ms).await?;
    let engine = conn.engine();
    let pk = &table.primary_key;
    let mut sql = Sql::new(engine);
    sql.push("SELECT MAX(")
        .ident(pk)
        .push("), ")
        .push(count_text(engine));
    sql.push(" FROM (SELECT ")
        .ident(pk)
        .push(" FROM ")
        .ident(&table.name);
    sql.push(" WHERE ");
    push_expired(&mut sql, rule, &cutoff);
    push_range(&mut sql, pk, after, None);
    sql.push(" ORDER BY ").ident(pk).push(" LIMIT ");
    sql.bind(Param::Int(i64::try_from(limit.max(1)).unwrap_or(i64::MAX)));
    sql.push(") page HAVING COUNT(*) > 0");
    let rows = conn.fetch(&sql, true).await?;
    Ok(rows.into_iter().next().and_then(|row| {
        Some(Batch {
            after: after.cloned(),
            through: row.key?,
            rows: row.values.first().cloned().flatten()?.parse().ok()?,
        })
    }))
}

/// Deletes or anonymises the expired rows of `batch`'s range, except held ones, in one
/// transaction. `hmac_key` is the desk's key, for `keyed_hash` columns.
pub async fn run_batch(
    conn: &Connection,
    spec: &DatasetSpec,
    rule: &RetentionRule,
    cutoff_ms: Millis,
    batch: &Batch,
    holds: &SubjectHolds,
    hmac_key: &[u8],
) -> Result<BatchOutcome, Error> {
    let table = rule_table(conn, spec, rule)?;
    let cutoff = Cutoff::for_column(conn, rule, &table.name, cutoff_ms).await?;
    let types = match (&rule.action, conn) {
        (RetentionAction::Anonymise(_), Connection::Postgres(_)) => {
            partitions::column_types(conn, &table.name).await?
        }
        _ => BTreeMap::new(),
    };
    let mut tx = conn.begin().await?;
    let outcome = match &rule.action {
        RetentionAction::Delete if holds.hashes.is_empty() => {
            let mut sql = Sql::new(tx.engine());
            sql.push("DELETE FROM ").ident(&table.name).push(" WHERE ");
            push_expired(&mut sql, rule, &cutoff);
            push_range(
                &mut sql,
                &table.primary_key,
                batch.after.as_ref(),
                Some(&batch.through),
            );
            BatchOutcome {
                deleted: tx.execute(&sql).await?,
                ..BatchOutcome::default()
            }
        }
        RetentionAction::Delete => {
            delete_unheld(&mut tx, spec, table, rule, &cutoff, batch, holds).await?
        }
        RetentionAction::Anonymise(changes) => {
            let ctx = Anonymisation {
                table,
                changes,
                types: &types,
                hmac_key,
            };
            ctx.run(&mut tx, spec, rule, &cutoff, batch, holds).await?
        }
        RetentionAction::DropPartitions => {
            return Err(Error::Undeclared(
                "a row batch for a partition rule (its partitions are dropped whole)".into(),
            ));
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// Deletes the unheld expired rows of the range by key, in chunks.
async fn delete_unheld(
    tx: &mut Tx,
    spec: &DatasetSpec,
    table: &TableSpec,
    rule: &RetentionRule,
    cutoff: &Cutoff,
    batch: &Batch,
    holds: &SubjectHolds,
) -> Result<BatchOutcome, Error> {
    let rows = range_rows(tx, spec, table, rule, cutoff, batch, &[]).await?;
    let kinds = identity_kinds(spec, table);
    let mut outcome = BatchOutcome::default();
    let mut keys = Vec::new();
    for row in &rows {
        if holds.holds(&kinds, &row.values) {
            outcome.held += 1;
        } else if let Some(key) = &row.key {
            keys.push(key.clone());
        }
    }
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        outcome.deleted += tx.execute(&delete_sql(tx.engine(), table, chunk)).await?;
    }
    Ok(outcome)
}

/// A row's key and the (column, new value) pairs that differ from what it holds.
type RowUpdate<'a> = (Key, Vec<(&'a str, Option<String>)>);

/// An anonymising rule's changes on one table.
struct Anonymisation<'a> {
    table: &'a TableSpec,
    changes: &'a BTreeMap<String, Anonymise>,
    /// PostgreSQL column types, for casting bound text back to the column's type.
    types: &'a BTreeMap<String, String>,
    hmac_key: &'a [u8],
}

impl Anonymisation<'_> {
    async fn run(
        &self,
        tx: &mut Tx,
        spec: &DatasetSpec,
        rule: &RetentionRule,
        cutoff: &Cutoff,
        batch: &Batch,
        holds: &SubjectHolds,
    ) -> Result<BatchOutcome, Error> {
        let columns: Vec<&str> = self.changes.keys().map(String::as_str).collect();
        let rows = range_rows(tx, spec, self.table, rule, cutoff, batch, &columns).await?;
        let hash = |v: &str| keyed_hash(self.hmac_key, v);
        let kinds = identity_kinds(spec, self.table);
        let mut outcome = BatchOutcome::default();
        let mut updates: Vec<RowUpdate<'_>> = Vec::new();
        for row in rows {
            let (current, identity) = row.values.split_at(columns.len().min(row.values.len()));
            if holds.holds(&kinds, identity) {
                outcome.held += 1;
                continue;
            }
            let changed: Vec<(&str, Option<String>)> = columns
                .iter()
                .zip(current)
                .filter_map(|(column, value)| {
                    let how = *self.changes.get(*column)?;
                    let new = generalise(how, value.as_deref(), &hash);
                    (new != *value).then_some((*column, new))
                })
                .collect();
            match (changed.is_empty(), row.key) {
                (true, _) => outcome.unchanged += 1,
                (false, Some(key)) => updates.push((key, changed)),
                (false, None) => return Err(Error::Key),
            }
        }
        let per_statement = (999 / (1 + 2 * columns.len())).clamp(1, ROWS_PER_STATEMENT);
        for chunk in updates.chunks(per_statement) {
            let sql = self.update_sql(tx.engine(), &columns, chunk)?;
            tx.execute(&sql).await?;
            outcome.anonymised += chunk.len() as u64;
        }
        Ok(outcome)
    }

    /// `UPDATE t SET c = CASE pk WHEN $k THEN CAST($v AS type) … ELSE c END, … WHERE pk IN (…)`.
    fn update_sql(
        &self,
        engine: SqlEngine,
        columns: &[&str],
        chunk: &[RowUpdate<'_>],
    ) -> Result<Sql, Error> {
        let pk = &self.table.primary_key;
        let mut sql = Sql::new(engine);
        sql.push("UPDATE ").ident(&self.table.name).push(" SET ");
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            let cast = match engine {
                SqlEngine::Postgres => Some(
                    self.types
                        .get(*column)
                        .ok_or_else(|| Error::Undeclared(format!("column {column:?}")))?,
                ),
                SqlEngine::Mysql | SqlEngine::Sqlite => None,
            };
            sql.ident(column).push(" = CASE ").ident(pk);
            for (key, changed) in chunk {
                let Some((_, value)) = changed.iter().find(|(c, _)| c == column) else {
                    continue;
                };
                sql.push(" WHEN ").bind(key.param()).push(" THEN ");
                match (value, cast) {
                    (None, _) => {
                        sql.push("NULL");
                    }
                    (Some(v), Some(ty)) => {
                        sql.push("CAST(").bind(Param::Text(v.clone()));
                        sql.push(" AS ").push(ty).push(")");
                    }
                    (Some(v), None) => {
                        sql.bind(Param::Text(v.clone()));
                    }
                }
            }
            sql.push(" ELSE ").ident(column).push(" END");
        }
        sql.push(" WHERE ").ident(pk).push(" IN (");
        for (i, (key, _)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(key.param());
        }
        sql.push(")");
        Ok(sql)
    }
}

/// The rule's table after the spec and the rule are checked against each other and `conn`.
fn rule_table<'a>(
    conn: &Connection,
    spec: &'a DatasetSpec,
    rule: &RetentionRule,
) -> Result<&'a TableSpec, Error> {
    ready(spec, conn)?;
    let columns = rule.columns();
    if rule.dataset != spec.id
        || !columns
            .iter()
            .all(|c| kapsel_core::privacy::is_plain_identifier(c))
    {
        return Err(Error::Undeclared(format!(
            "rule {:?} for this dataset",
            rule.id
        )));
    }
    spec.table(&rule.table)
        .ok_or_else(|| Error::Undeclared(format!("table {:?}", rule.table)))
}

/// The expired rows of `batch`'s range inside the transaction, locked for update where the
/// engine can: key, `columns` as text, then the identity values holds are matched on.
async fn range_rows(
    tx: &mut Tx,
    spec: &DatasetSpec,
    table: &TableSpec,
    rule: &RetentionRule,
    cutoff: &Cutoff,
    batch: &Batch,
    columns: &[&str],
) -> Result<Vec<Row>, Error> {
    let engine = tx.engine();
    let mut sql = Sql::new(engine);
    sql.push("SELECT ").ident(&table.primary_key);
    for column in columns {
        sql.push(", ").ident_as_text(column);
    }
    push_identity(&mut sql, spec, table);
    sql.push(" FROM ").ident(&table.name).push(" WHERE ");
    push_expired(&mut sql, rule, cutoff);
    push_range(
        &mut sql,
        &table.primary_key,
        batch.after.as_ref(),
        Some(&batch.through),
    );
    sql.push(" ORDER BY ").ident(&table.primary_key);
    if engine != SqlEngine::Sqlite {
        sql.push(" FOR UPDATE");
    }
    tx.fetch(&sql, true).await
}

/// One page (10,000 rows) of expired rows after `after` with their identity values, for the
/// dry run's count of held rows.
async fn identity_page(
    conn: &Connection,
    spec: &DatasetSpec,
    table: &TableSpec,
    rule: &RetentionRule,
    cutoff: &Cutoff,
    after: Option<&Key>,
) -> Result<Vec<Row>, Error> {
    let mut sql = Sql::new(conn.engine());
    sql.push("SELECT ").ident(&table.primary_key);
    push_identity(&mut sql, spec, table);
    sql.push(" FROM ").ident(&table.name).push(" WHERE ");
    push_expired(&mut sql, rule, cutoff);
    push_range(&mut sql, &table.primary_key, after, None);
    sql.push(" ORDER BY ")
        .ident(&table.primary_key)
        .push(" LIMIT 10000");
    conn.fetch(&sql, true).await
}

/// `, <identity column as text>…, (SELECT <parent identity> FROM parent WHERE parent.ref =
/// table.col)…`: the values a subject's hold is matched on, the table's own identity columns
/// and those of each table it belongs to directly.
fn push_identity(sql: &mut Sql, spec: &DatasetSpec, table: &TableSpec) {
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
fn identity_kinds<'a>(spec: &'a DatasetSpec, table: &'a TableSpec) -> Vec<&'a str> {
    let mut kinds: Vec<&str> = table.identity.values().map(String::as_str).collect();
    for relation in &table.belongs_to {
        if let Some(parent) = spec.table(&relation.table) {
            kinds.extend(parent.identity.values().map(String::as_str));
        }
    }
    kinds
}

fn text_type(engine: SqlEngine) -> &'static str {
    match engine {
        SqlEngine::Mysql => "CHAR",
        SqlEngine::Postgres | SqlEngine::Sqlite => "TEXT",
    }
}

fn count_text(engine: SqlEngine) -> &'static str {
    match engine {
        SqlEngine::Mysql => "CAST(COUNT(*) AS CHAR)",
        SqlEngine::Postgres | SqlEngine::Sqlite => "CAST(COUNT(*) AS TEXT)",
    }
}

fn first_count(rows: &[Row]) -> u64 {
    rows.first()
        .and_then(|r| r.values.first().cloned().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
