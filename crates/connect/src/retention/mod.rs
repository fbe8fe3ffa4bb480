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
//! tables they belong to directly, are compared by keyed hash with the holds' hashes (`holds`).
//! The expired condition is `condition`'s, anonymisation `anonymise`'s, partition drops on
//! PostgreSQL `partitions`'.

mod anonymise;
mod condition;
mod holds;
mod partitions;

use std::collections::BTreeMap;

use kapsel_core::Millis;
use kapsel_core::privacy::{RetentionAction, RetentionRule};
use serde::Serialize;

use crate::batch::{ROWS_PER_STATEMENT, delete_sql};
use crate::connection::{Connection, Key, Row, Tx};
use crate::dialect::{Param, Sql, text_type};
use crate::{DatasetSpec, Error, SqlEngine, TableSpec, ready};
use anonymise::Anonymisation;
use condition::{Cutoff, push_expired, push_range};
pub use holds::SubjectHolds;
use holds::{identity_kinds, push_identity};
pub use partitions::{Partition, drop_partition, expired_partitions};

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
        .push(&count_text(engine))
        .push(" FROM ")
        .ident(&table.name);
    let mut expired = Sql::new(engine);
    expired
        .push("SELECT ")
        .push(&count_text(engine))
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
        .push(&count_text(engine));
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

/// `CAST(COUNT(*) AS TEXT)`, in the engine's spelling: counts are read as text like every value.
fn count_text(engine: SqlEngine) -> String {
    format!("CAST(COUNT(*) AS {})", text_type(engine))
}

fn first_count(rows: &[Row]) -> u64 {
    rows.first()
        .and_then(|r| r.values.first().cloned().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
