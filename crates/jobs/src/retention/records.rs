//! The disposal records a run writes (`kapsel_core::retention::record`): each step sealed into
//! the rule's chain, a batch's outcome, keys as records write them, and what the last record
//! says an earlier run left to finish.

use std::collections::BTreeMap;

use kapsel_connect::{
    Batch, BatchOutcome, Connection, DatasetSpec, Key, SubjectHolds, drop_partition, run_batch,
};
use kapsel_core::Millis;
use kapsel_core::privacy::{RetentionAction, RetentionRule};
use kapsel_core::retention::record::{DisposalKind, DisposalRecord, NewDisposal};
use kapsel_store::Retention;

use super::{RuleRunReport, RunError, RunOptions, Runner};

impl Runner {
    /// What an earlier run left for this one: a batch it started and never recorded as done is
    /// finished first, over the same range at the same cutoff; a run stopped at the round's batch
    /// limit is gone on from. Where this run's batches start.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn resume(
        &self,
        rule: &RetentionRule,
        options: &RunOptions,
        conn: &Connection,
        spec: &DatasetSpec,
        holds: &SubjectHolds,
        now: Millis,
        report: &mut RuleRunReport,
    ) -> Result<Option<Key>, RunError> {
        let fail = |e: kapsel_connect::Error| self.connect_error(rule, &e);
        let mut after: Option<Key> = None;
        let last = self.store.last_disposal(&rule.id).await?;
        if let Some(last) = &last
            && last.kind == DisposalKind::RunStopped
            && last.detail.get("reason").map(String::as_str) == Some("batch_limit")
        {
            after = last.detail.get("through").and_then(|k| decode_key(k));
        }
        if let Some(last) = last
            && last.kind == DisposalKind::BatchStarted
        {
            report.resumed = true;
            let cutoff_ms: Millis = last
                .detail
                .get("cutoff_ms")
                .and_then(|c| c.parse().ok())
                .unwrap_or(now);
            if let Some(partition) = last.detail.get("partition") {
                let rows = drop_partition(conn, spec, rule, partition)
                    .await
                    .map_err(fail)?;
                self.record(
                    rule,
                    options,
                    DisposalKind::PartitionDropped,
                    [
                        ("partition", partition.clone()),
                        ("rows_deleted", last.count("rows").max(rows).to_string()),
                        ("resumed", "true".into()),
                    ],
                )
                .await?;
                report.partitions_dropped += 1;
            } else if let Some(batch) = batch_of(&last) {
                let done = run_batch(conn, spec, rule, cutoff_ms, &batch, holds, &self.key)
                    .await
                    .map_err(fail)?;
                self.batch_done(rule, options, &batch, done, true, report)
                    .await?;
                if cutoff_ms == self.cutoff(rule, now)? {
                    after = Some(batch.through);
                }
            }
        }
        Ok(after)
    }

    /// Records a batch's outcome. A resumed batch whose rows were already gone (its transaction
    /// had committed before the crash) counts the rows its start recorded, as those are what
    /// it removed.
    pub(super) async fn batch_done(
        &self,
        rule: &RetentionRule,
        options: &RunOptions,
        batch: &Batch,
        done: BatchOutcome,
        resumed: bool,
        report: &mut RuleRunReport,
    ) -> Result<(), RunError> {
        let deleted = if resumed && rule.action == RetentionAction::Delete {
            done.deleted.max(batch.rows.saturating_sub(done.held))
        } else {
            done.deleted
        };
        let anonymised = if resumed && matches!(rule.action, RetentionAction::Anonymise(_)) {
            done.anonymised + done.unchanged
        } else {
            done.anonymised
        };
        let mut detail = vec![
            ("through", encode_key(&batch.through)),
            ("rows_deleted", deleted.to_string()),
            ("rows_anonymised", anonymised.to_string()),
            ("rows_held", done.held.to_string()),
        ];
        if let Some(after) = &batch.after {
            detail.push(("after", encode_key(after)));
        }
        if resumed {
            detail.push(("resumed", "true".to_owned()));
            detail.push((
                "changed_on_resume",
                (done.deleted + done.anonymised).to_string(),
            ));
        }
        self.record(rule, options, DisposalKind::BatchDone, detail)
            .await?;
        report.batches += 1;
        report.deleted += deleted;
        report.anonymised += anonymised;
        report.held += done.held;
        Ok(())
    }

    pub(super) async fn record(
        &self,
        rule: &RetentionRule,
        options: &RunOptions,
        kind: DisposalKind,
        detail: impl IntoIterator<Item = (&'static str, String)>,
    ) -> Result<DisposalRecord, RunError> {
        let mut map: BTreeMap<String, String> =
            detail.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        map.insert("table".into(), rule.table.clone());
        map.insert("dataset".into(), rule.dataset.clone());
        map.insert("holder".into(), options.holder.clone());
        Ok(self
            .store
            .append_disposal(
                &rule.id,
                NewDisposal {
                    at_ms: self.clock.now_ms(),
                    actor: options.actor.clone(),
                    kind,
                    detail: map,
                },
            )
            .await?)
    }
}

/// A key as written in a record: `i:42` or `t:K-1001`.
pub fn encode_key(key: &Key) -> String {
    match key {
        Key::Int(i) => format!("i:{i}"),
        Key::Text(t) => format!("t:{t}"),
    }
}

fn decode_key(text: &str) -> Option<Key> {
    match text.split_once(':')? {
        ("i", i) => i.parse().ok().map(Key::Int),
        ("t", t) => Some(Key::Text(t.to_owned())),
        _ => None,
    }
}

/// The range a `batch_started` record names.
fn batch_of(record: &DisposalRecord) -> Option<Batch> {
    Some(Batch {
        after: match record.detail.get("after") {
            Some(a) => Some(decode_key(a)?),
            None => None,
        },
        through: decode_key(record.detail.get("through")?)?,
        rows: record.count("rows"),
    })
}
