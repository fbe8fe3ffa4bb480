//! One retention run: for each rule of the privacy file, under the rule's lease, the expired rows
//! are deleted or anonymised batch by batch (or its expired partitions dropped), each step
//! written to the rule's hash-chained disposal records before and after it touches the
//! operator's database. A run first finishes a batch an earlier run started and did not record
//! as done (a crash), so nothing is processed twice or missed; a dataset or rule hold stops the
//! rule, subject holds keep their rows; a rule that would change more than `max_share` of its
//! table stops and asks for confirmation.

mod partitions;
mod records;

pub use records::encode_key;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kapsel_connect::{
    Connection, SubjectHolds, expired_partitions, next_batch, retention_plan, run_batch,
};
use kapsel_core::privacy::{PrivacyFile, RetentionAction, RetentionRule};
use kapsel_core::retention::cutoff;
use kapsel_core::retention::hold::Hold;
use kapsel_core::retention::record::DisposalKind;
use kapsel_core::{Clock, Millis};
use kapsel_store::{Leases, Retention, Store, StoreError};
use serde::Serialize;

/// How a run proceeds.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Rows per batch (one transaction each).
    pub batch_rows: u64,
    /// A pause between batches, so that other writers get the table.
    pub pause_ms: u64,
    /// The largest share of a table one run may change without `confirm`.
    pub max_share: f64,
    pub confirm: bool,
    /// At most this many batches per rule in one run (catching up after downtime a round at a
    /// time); none for no limit.
    pub max_batches: Option<u64>,
    /// Who runs it, in the records: `server` or `cli`.
    pub actor: String,
    /// The lease holder (the instance's id).
    pub holder: String,
    /// How long the rule's lease lasts unless renewed (after every batch): how long a crashed
    /// run keeps others from taking the rule over.
    pub lease_ms: Millis,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            batch_rows: 10_000,
            pause_ms: 0,
            max_share: 0.5,
            confirm: false,
            max_batches: None,
            actor: "cli".into(),
            holder: "cli".into(),
            lease_ms: 120_000,
        }
    }
}

/// Why a rule did not run or stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("rule {rule}: the settings have no [connectors.{connection}] url")]
    NoConnector { rule: String, connection: String },
    #[error("rule {rule}: {message}")]
    Connect { rule: String, message: String },
    #[error("rule {rule}: no cutoff can be computed from period {period:?}")]
    Period { rule: String, period: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one rule's dry run found.
#[derive(Debug, Clone, Serialize)]
pub struct RulePlanReport {
    pub rule: String,
    pub action: &'static str,
    pub cutoff_ms: Millis,
    pub table_rows: u64,
    pub expired: u64,
    pub held: u64,
    pub oldest: Option<String>,
    /// Partitions that would be dropped (partition rules only).
    pub partitions: Vec<String>,
    /// The dataset or rule hold that stops the rule, if any.
    pub stopped_by: Option<String>,
    /// Whether the run would stop at the safety limit without `--confirm`.
    pub over_limit: bool,
}

/// What one rule's run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleRunReport {
    pub rule: String,
    pub batches: u64,
    pub deleted: u64,
    pub anonymised: u64,
    pub held: u64,
    pub partitions_dropped: u64,
    /// A batch an earlier run left unfinished was finished first.
    pub resumed: bool,
    /// Why it stopped before the end, if it did (`held`, `safety_limit`, `batch_limit`,
    /// `lease`).
    pub stopped: Option<String>,
}

/// Runs the file's retention rules against the operator's databases and records every step.
pub struct Runner {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub file: Arc<PrivacyFile>,
    /// `[connectors.NAME]` → URL.
    pub connectors: BTreeMap<String, String>,
    /// The desk's HMAC key: subject holds and `keyed_hash` columns use it.
    pub key: Vec<u8>,
}

impl Runner {
    /// The rules `only` names (all when `None`), in file order.
    pub fn rules(&self, only: Option<&str>) -> Vec<&RetentionRule> {
        self.file
            .retention
            .iter()
            .filter(|r| only.is_none_or(|id| r.id == id))
            .collect()
    }

    async fn connect(
        &self,
        rule: &RetentionRule,
    ) -> Result<(Connection, &kapsel_connect::DatasetSpec), RunError> {
        let spec = self
            .file
            .datasets
            .iter()
            .find(|d| d.id == rule.dataset)
            .ok_or_else(|| RunError::Connect {
                rule: rule.id.clone(),
                message: format!("dataset {:?} is not declared", rule.dataset),
            })?;
        let url = self
            .connectors
            .get(&spec.connection)
            .ok_or_else(|| RunError::NoConnector {
                rule: rule.id.clone(),
                connection: spec.connection.clone(),
            })?;
        let conn = Connection::open(url)
            .await
            .map_err(|e| self.connect_error(rule, &e))?;
        Ok((conn, spec))
    }

    fn connect_error(&self, rule: &RetentionRule, e: &kapsel_connect::Error) -> RunError {
        RunError::Connect {
            rule: rule.id.clone(),
            message: e.without_secrets(),
        }
    }

    /// The active holds at `now`: the one stopping `rule`, if any, and the subject hashes.
    async fn holds(
        &self,
        rule: &RetentionRule,
        now: Millis,
    ) -> Result<(Option<Hold>, SubjectHolds), RunError> {
        let active: Vec<Hold> = self
            .store
            .holds()
            .await?
            .into_iter()
            .filter(|h| h.active_at(now))
            .collect();
        let stopping = active.iter().find(|h| h.stops(rule)).cloned();
        let hashes: BTreeSet<String> = active
            .iter()
            .flat_map(|h| h.subject_hashes().iter().cloned())
            .collect();
        Ok((
            stopping,
            SubjectHolds {
                hashes,
                key: self.key.clone(),
            },
        ))
    }

    fn cutoff(&self, rule: &RetentionRule, now: Millis) -> Result<Millis, RunError> {
        cutoff(rule, now).ok_or_else(|| RunError::Period {
            rule: rule.id.clone(),
            period: rule.period.clone(),
        })
    }

    /// The dry run of one rule.
    pub async fn plan(
        &self,
        rule: &RetentionRule,
        options: &RunOptions,
    ) -> Result<RulePlanReport, RunError> {
        let now = self.clock.now_ms();
        let cutoff_ms = self.cutoff(rule, now)?;
        let (stopping, holds) = self.holds(rule, now).await?;
        let (conn, spec) = self.connect(rule).await?;
        let mut report = RulePlanReport {
            rule: rule.id.clone(),
            action: rule.action.name(),
            cutoff_ms,
            table_rows: 0,
            expired: 0,
            held: 0,
            oldest: None,
            partitions: Vec::new(),
            stopped_by: stopping.map(|h| h.id),
            over_limit: false,
        };
        if rule.action == RetentionAction::DropPartitions {
            for p in expired_partitions(&conn, spec, rule, cutoff_ms, &holds)
                .await
                .map_err(|e| self.connect_error(rule, &e))?
            {
                report.expired += p.rows;
                report.held += p.held;
                if p.held == 0 {
                    report.partitions.push(p.name);
                }
            }
        } else {
            let plan = retention_plan(&conn, spec, rule, cutoff_ms, &holds)
                .await
                .map_err(|e| self.connect_error(rule, &e))?;
            report.over_limit = plan.share() > options.max_share;
            report.table_rows = plan.table_rows;
            report.expired = plan.expired;
            report.held = plan.held;
            report.oldest = plan.oldest;
        }
        Ok(report)
    }

    /// Runs one rule under its lease; see the module documentation.
    pub async fn run(
        &self,
        rule: &RetentionRule,
        options: &RunOptions,
    ) -> Result<RuleRunReport, RunError> {
        let lease = format!("retention:{}", rule.id);
        let mut report = RuleRunReport {
            rule: rule.id.clone(),
            ..RuleRunReport::default()
        };
        if !self
            .store
            .take_lease(
                &lease,
                &options.holder,
                self.clock.now_ms(),
                options.lease_ms,
            )
            .await?
        {
            report.stopped = Some("lease".into());
            return Ok(report);
        }
        let result = self.run_leased(rule, options, &lease, &mut report).await;
        let _ = self.store.release_lease(&lease, &options.holder).await;
        result.map(|()| report)
    }

    async fn run_leased(
        &self,
        rule: &RetentionRule,
        options: &RunOptions,
        lease: &str,
        report: &mut RuleRunReport,
    ) -> Result<(), RunError> {
        let now = self.clock.now_ms();
        let (stopping, holds) = self.holds(rule, now).await?;
        if let Some(hold) = stopping {
            self.record(
                rule,
                options,
                DisposalKind::RunStopped,
                [("reason", "held".to_owned()), ("hold", hold.id.clone())],
            )
            .await?;
            report.stopped = Some("held".into());
            return Ok(());
        }
        let (conn, spec) = self.connect(rule).await?;
        let fail = |e: kapsel_connect::Error| self.connect_error(rule, &e);
        let mut after = self
            .resume(rule, options, &conn, spec, &holds, now, report)
            .await?;
        let cutoff_ms = self.cutoff(rule, now)?;
        if rule.action == RetentionAction::DropPartitions {
            return self
                .drop_partitions(rule, options, &conn, spec, cutoff_ms, &holds, report)
                .await;
        }
        let plan = retention_plan(&conn, spec, rule, cutoff_ms, &holds)
            .await
            .map_err(fail)?;
        if plan.share() > options.max_share && !options.confirm {
            self.record(
                rule,
                options,
                DisposalKind::RunStopped,
                [
                    ("reason", "safety_limit".to_owned()),
                    ("cutoff_ms", cutoff_ms.to_string()),
                    ("expired", plan.expired.to_string()),
                    ("table_rows", plan.table_rows.to_string()),
                ],
            )
            .await?;
            report.stopped = Some("safety_limit".into());
            return Ok(());
        }
        self.record(
            rule,
            options,
            DisposalKind::RunStarted,
            [
                ("cutoff_ms", cutoff_ms.to_string()),
                ("action", rule.action.name().to_owned()),
                ("expired", plan.expired.to_string()),
                ("held", plan.held.to_string()),
            ],
        )
        .await?;
        loop {
            if options.max_batches.is_some_and(|max| report.batches >= max) {
                // The next run goes on after the last batch instead of starting over, so a rule
                // whose rows stay (anonymisation) makes progress round by round.
                let mut detail = vec![("reason", "batch_limit".to_owned())];
                if let Some(after) = &after {
                    detail.push(("through", encode_key(after)));
                }
                self.record(rule, options, DisposalKind::RunStopped, detail)
                    .await?;
                report.stopped = Some("batch_limit".into());
                break;
            }
            let Some(batch) = next_batch(
                &conn,
                spec,
                rule,
                cutoff_ms,
                after.as_ref(),
                options.batch_rows,
            )
            .await
            .map_err(fail)?
            else {
                self.record(
                    rule,
                    options,
                    DisposalKind::RunFinished,
                    [
                        ("rows_deleted", report.deleted.to_string()),
                        ("rows_anonymised", report.anonymised.to_string()),
                        ("rows_held", report.held.to_string()),
                        ("batches", report.batches.to_string()),
                    ],
                )
                .await?;
                break;
            };
            let mut started = vec![
                ("cutoff_ms", cutoff_ms.to_string()),
                ("through", encode_key(&batch.through)),
                ("rows", batch.rows.to_string()),
            ];
            if let Some(after) = &batch.after {
                started.push(("after", encode_key(after)));
            }
            self.record(rule, options, DisposalKind::BatchStarted, started)
                .await?;
            let done = run_batch(&conn, spec, rule, cutoff_ms, &batch, &holds, &self.key)
                .await
                .map_err(fail)?;
            self.batch_done(rule, options, &batch, done, false, report)
                .await?;
            after = Some(batch.through);
            self.store
                .take_lease(
                    lease,
                    &options.holder,
                    self.clock.now_ms(),
                    options.lease_ms,
                )
                .await?;
            if options.pause_ms > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(options.pause_ms)).await;
            }
        }
        Ok(())
    }
}
