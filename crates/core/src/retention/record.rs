//! Proof of disposal: every step of a retention run is a record in the rule's own hash chain
//! (one writer per rule, under the rule's lease). A batch is written twice — `batch_started`
//! with its key range before the operator's database is touched, `batch_done` with what changed
//! after it committed — so a crash between the two is seen at the next run, which finishes the
//! same range before it goes on. The records are never changed or removed by Kapsel.
//!
//! Encoding `kapsel-disposal-record/v1` (the ledger's canonical text, see `crate::canonical`):
//! the version line, then `rule`, `seq`, `at_ms`, `actor`, `kind`, the `detail` map and
//! `prev_hash`, in that order.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::canonical::CanonicalText;
use crate::clock::Millis;
use crate::consent::GENESIS_HASH;

pub const ENCODING_VERSION: &str = "kapsel-disposal-record/v1";

/// What a record says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DisposalKind {
    /// A run began: its cutoff and the dry run's counts.
    RunStarted,
    /// A batch's key range is about to be processed.
    BatchStarted,
    /// The batch committed: rows deleted, anonymised, held, in its key range.
    BatchDone,
    /// A partition was detached and dropped.
    PartitionDropped,
    /// The run stopped before its end (the safety limit, a hold on the rule, an error).
    RunStopped,
    /// The run reached the end of the expired rows.
    RunFinished,
}

impl DisposalKind {
    pub const ALL: [DisposalKind; 6] = [
        DisposalKind::RunStarted,
        DisposalKind::BatchStarted,
        DisposalKind::BatchDone,
        DisposalKind::PartitionDropped,
        DisposalKind::RunStopped,
        DisposalKind::RunFinished,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DisposalKind::RunStarted => "run_started",
            DisposalKind::BatchStarted => "batch_started",
            DisposalKind::BatchDone => "batch_done",
            DisposalKind::PartitionDropped => "partition_dropped",
            DisposalKind::RunStopped => "run_stopped",
            DisposalKind::RunFinished => "run_finished",
        }
    }

    pub fn from_name(name: &str) -> Option<DisposalKind> {
        DisposalKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A record before it is sealed into its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDisposal {
    pub at_ms: Millis,
    /// Who ran it: `server` (the schedule) or `cli` (`kapsel retention run`).
    pub actor: String,
    pub kind: DisposalKind,
    /// Counts, the cutoff, key ranges, reasons: never a value from a row except its key.
    pub detail: BTreeMap<String, String>,
}

/// A sealed record of rule `rule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisposalRecord {
    pub rule: String,
    pub seq: i64,
    pub at_ms: Millis,
    pub actor: String,
    pub kind: DisposalKind,
    pub detail: BTreeMap<String, String>,
    pub prev_hash: String,
    pub hash: String,
}

impl DisposalRecord {
    /// `new` as record `seq` of `rule`, after the record whose hash is `prev_hash`.
    pub fn seal(rule: &str, seq: i64, prev_hash: &str, new: NewDisposal) -> DisposalRecord {
        let mut record = DisposalRecord {
            rule: rule.to_owned(),
            seq,
            at_ms: new.at_ms,
            actor: new.actor,
            kind: new.kind,
            detail: new.detail,
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        record.hash = record.computed_hash();
        record
    }

    /// The first record's `prev_hash`.
    pub fn genesis() -> &'static str {
        GENESIS_HASH
    }

    /// SHA-256 of the canonical text of every field except `hash`.
    pub fn computed_hash(&self) -> String {
        self.text().sha256_hex()
    }

    pub fn canonical_encoding(&self) -> String {
        self.text().into_string()
    }

    fn text(&self) -> CanonicalText {
        let mut text = CanonicalText::new(ENCODING_VERSION);
        text.str("rule", &self.rule)
            .int("seq", self.seq)
            .int("at_ms", self.at_ms)
            .str("actor", &self.actor)
            .str("kind", self.kind.name())
            .str_map("detail", &self.detail)
            .str("prev_hash", &self.prev_hash);
        text
    }

    /// A detail as a count (0 when absent or not a number).
    pub fn count(&self, name: &str) -> u64 {
        self.detail
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// Where a rule's chain breaks, if it does: the first record whose seq, `prev_hash` or hash is
/// not what the records before it make it.
pub fn verify_chain(records: &[DisposalRecord]) -> Result<(), String> {
    let mut prev = GENESIS_HASH.to_owned();
    for (i, record) in records.iter().enumerate() {
        let seq = i64::try_from(i).unwrap_or(i64::MAX) + 1;
        if record.seq != seq {
            return Err(format!(
                "rule {}: record {seq} is missing (found seq {})",
                record.rule, record.seq
            ));
        }
        if record.prev_hash != prev {
            return Err(format!(
                "rule {}: record {seq} does not follow record {}",
                record.rule,
                seq - 1
            ));
        }
        if record.computed_hash() != record.hash {
            return Err(format!(
                "rule {}: record {seq} was changed after it was written",
                record.rule
            ));
        }
        prev.clone_from(&record.hash);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain() -> Vec<DisposalRecord> {
        let mut out: Vec<DisposalRecord> = Vec::new();
        for (i, kind) in [
            DisposalKind::RunStarted,
            DisposalKind::BatchStarted,
            DisposalKind::BatchDone,
        ]
        .into_iter()
        .enumerate()
        {
            let prev = out
                .last()
                .map_or(GENESIS_HASH.to_owned(), |r| r.hash.clone());
            let seq = i64::try_from(i).unwrap_or_default() + 1;
            out.push(DisposalRecord::seal(
                "logs",
                seq,
                &prev,
                NewDisposal {
                    at_ms: 1_000 * seq,
                    actor: "cli".into(),
                    kind,
                    detail: BTreeMap::from([("rows_deleted".into(), "10".into())]),
                },
            ));
        }
        out
    }

    #[test]
    fn the_encoding_is_exactly_as_documented() {
        let record = &chain()[0];
        assert_eq!(
            record.canonical_encoding(),
            format!(
                "kapsel-disposal-record/v1\nrule=4:logs\nseq=1\nat_ms=1000\nactor=3:cli\n\
                 kind=11:run_started\ndetail=1\n12:rows_deleted=2:10\nprev_hash=64:{GENESIS_HASH}\n"
            )
        );
    }

    #[test]
    fn any_change_gap_or_reorder_breaks_the_chain() {
        let good = chain();
        assert_eq!(verify_chain(&good), Ok(()));
        let mut changed = good.clone();
        changed[1].detail.insert("rows_deleted".into(), "9".into());
        assert!(verify_chain(&changed).is_err_and(|e| e.contains("record 2 was changed")));
        let mut gap = good.clone();
        gap.remove(1);
        assert!(verify_chain(&gap).is_err_and(|e| e.contains("record 2 is missing")));
        let mut reordered = good;
        reordered.swap(1, 2);
        assert!(verify_chain(&reordered).is_err());
        for kind in DisposalKind::ALL {
            assert_eq!(DisposalKind::from_name(kind.name()), Some(kind));
        }
    }
}
