//! Anonymisation of a batch: each expired row's named columns generalised in Rust
//! (`kapsel_core::retention::generalise`), only the values that change written back, a chunk of
//! rows per `UPDATE … CASE pk WHEN …` with each value cast back to its column's type on
//! PostgreSQL.

use std::collections::BTreeMap;

use kapsel_core::privacy::{Anonymise, RetentionRule};
use kapsel_core::retention::generalise::generalise;

use super::condition::Cutoff;
use super::holds::identity_kinds;
use super::{Batch, BatchOutcome, SubjectHolds, range_rows};
use crate::batch::rows_per_keyed_update;
use crate::connection::{Key, Tx};
use crate::dialect::{Param, Sql};
use crate::erase::keyed_hash;
use crate::{DatasetSpec, Error, SqlEngine, TableSpec};

/// A row's key and the (column, new value) pairs that differ from what it holds.
type RowUpdate<'a> = (Key, Vec<(&'a str, Option<String>)>);

/// An anonymising rule's changes on one table.
pub(super) struct Anonymisation<'a> {
    pub table: &'a TableSpec,
    pub changes: &'a BTreeMap<String, Anonymise>,
    /// PostgreSQL column types, for casting bound text back to the column's type.
    pub types: &'a BTreeMap<String, String>,
    pub hmac_key: &'a [u8],
}

impl Anonymisation<'_> {
    pub async fn run(
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
        let per_statement = rows_per_keyed_update(columns.len());
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
