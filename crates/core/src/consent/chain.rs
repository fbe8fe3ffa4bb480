//! Verifying a hash chain: every record's hash recomputes, links to its predecessor's hash, and
//! the sequence numbers run 1, 2, 3, … without gaps. Together these prove that no record inside
//! the chain was changed, reordered or removed.
//!
//! Removing records from the *end* of a chain leaves a valid shorter chain; the head hash that
//! `verify` reports is what an auditor compares with a head noted earlier (or with a receipt).
//!
//! An acknowledged [`Gap`] (records cut from the end, then acknowledged by a signed note; see
//! `signing::gap`) is the one break a verifier given it walks across: the records end at
//! `first_missing - 1` with `before_hash`, and the chain resumes at `last_missing + 1` linked to
//! `last_missing_hash`, exactly as the note says. Checking the note's signature is the caller's.

use std::fmt;

use super::{ConsentRecord, GENESIS_HASH};

/// What a chain that verified looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSummary {
    pub chain_id: String,
    pub records: u64,
    /// The seq of the head: `records` plus the sequence numbers of the gaps crossed.
    pub head_seq: i64,
    /// The hash of the head, or [`GENESIS_HASH`] for an empty chain.
    pub head_hash: String,
    /// The acknowledged gaps walked across, in seq order.
    pub gaps: Vec<Gap>,
}

/// Records cut from a chain and acknowledged (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub first_missing: i64,
    pub last_missing: i64,
    /// The hash of record `first_missing - 1` (or [`GENESIS_HASH`]).
    pub before_hash: String,
    /// The hash record `last_missing` had: what record `last_missing + 1` links to.
    pub last_missing_hash: String,
}

/// Where and how a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chain {chain_id}: record seq {seq} (receipt {record_id}): {problem}")]
pub struct ChainBreak {
    pub chain_id: String,
    pub seq: i64,
    pub record_id: String,
    pub problem: BreakKind,
}

/// The kind of damage found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakKind {
    /// The record's stored hash does not match its content: the record was changed.
    HashMismatch { stored: String, computed: String },
    /// The record does not point at its predecessor's hash: reordered, replaced or inserted.
    BrokenLink {
        expected_prev: String,
        found_prev: String,
    },
    /// A sequence number is missing: records were removed (or the order was changed).
    SeqGap { expected: i64 },
    /// The record belongs to another chain.
    WrongChain { found: String },
    /// The chain ends before the head its writer recorded: records were removed from the end,
    /// or the last record was rewritten.
    HeadMismatch {
        recorded_seq: i64,
        recorded_hash: String,
        found_hash: String,
    },
    /// The chain has records but its writer's head row (`ledger_chains`) is missing: the row
    /// was deleted, which would let records be cut from the end unseen. (A fresh chain has
    /// neither records nor a row.)
    HeadMissing { found_hash: String },
    /// The stored row cannot be read as a record (a column holds what no writer writes).
    Unreadable { reason: String },
}

impl fmt::Display for BreakKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakKind::HashMismatch { stored, computed } => write!(
                f,
                "content was changed: stored hash {stored} but the content hashes to {computed}"
            ),
            BreakKind::BrokenLink {
                expected_prev,
                found_prev,
            } => write!(
                f,
                "link broken: prev_hash is {found_prev} but the previous record's hash is {expected_prev}"
            ),
            BreakKind::SeqGap { expected } => write!(
                f,
                "sequence gap: expected seq {expected} here, so records were removed or reordered"
            ),
            BreakKind::WrongChain { found } => write!(f, "record belongs to chain {found}"),
            BreakKind::HeadMismatch {
                recorded_seq,
                recorded_hash,
                found_hash,
            } => write!(
                f,
                "the writer recorded head seq {recorded_seq} with hash {recorded_hash}, but the \
                 chain ends here with hash {found_hash}: records were removed from the end or rewritten"
            ),
            BreakKind::Unreadable { reason } => {
                write!(
                    f,
                    "the stored row cannot be read ({reason}): it was changed"
                )
            }
            BreakKind::HeadMissing { found_hash } => write!(
                f,
                "the chain ends here with hash {found_hash}, but the head its writer recorded \
                 (ledger_chains) is missing: the head row was deleted"
            ),
        }
    }
}

/// Checks records of one chain one at a time, in seq order, without holding them all.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    chain_id: String,
    records: u64,
    next_seq: i64,
    head_hash: String,
    /// Acknowledged gaps not yet reached, and those crossed.
    ahead: Vec<Gap>,
    crossed: Vec<Gap>,
}

impl ChainVerifier {
    pub fn new(chain_id: &str) -> Self {
        ChainVerifier::with_gaps(chain_id, Vec::new())
    }

    /// A verifier that walks across `gaps` (acknowledged, their notes checked by the caller).
    pub fn with_gaps(chain_id: &str, gaps: Vec<Gap>) -> Self {
        ChainVerifier {
            chain_id: chain_id.to_string(),
            records: 0,
            next_seq: 1,
            head_hash: GENESIS_HASH.to_string(),
            ahead: gaps,
            crossed: Vec::new(),
        }
    }

    /// Crosses the acknowledged gap that starts where the chain is now, if there is one.
    fn cross_gap(&mut self) -> bool {
        let Some(at) = self
            .ahead
            .iter()
            .position(|g| g.first_missing == self.next_seq && g.before_hash == self.head_hash)
        else {
            return false;
        };
        let gap = self.ahead.remove(at);
        self.next_seq = gap.last_missing + 1;
        self.head_hash = gap.last_missing_hash.clone();
        self.crossed.push(gap);
        true
    }

    /// Checks the next record of the chain.
    pub fn push(&mut self, record: &ConsentRecord) -> Result<(), ChainBreak> {
        if record.seq != self.next_seq && record.chain_id == self.chain_id {
            self.cross_gap();
        }
        let broken = |problem| ChainBreak {
            chain_id: self.chain_id.clone(),
            seq: record.seq,
            record_id: record.id.clone(),
            problem,
        };
        if record.chain_id != self.chain_id {
            return Err(broken(BreakKind::WrongChain {
                found: record.chain_id.clone(),
            }));
        }
        if record.seq != self.next_seq {
            return Err(broken(BreakKind::SeqGap {
                expected: self.next_seq,
            }));
        }
        let computed = record.compute_hash();
        if computed != record.hash {
            return Err(broken(BreakKind::HashMismatch {
                stored: record.hash.clone(),
                computed,
            }));
        }
        if record.prev_hash != self.head_hash {
            return Err(broken(BreakKind::BrokenLink {
                expected_prev: self.head_hash.clone(),
                found_prev: record.prev_hash.clone(),
            }));
        }
        self.records += 1;
        self.next_seq += 1;
        self.head_hash = computed;
        Ok(())
    }

    pub fn finish(self) -> ChainSummary {
        ChainSummary {
            chain_id: self.chain_id,
            records: self.records,
            head_seq: self.next_seq - 1,
            head_hash: self.head_hash,
            gaps: self.crossed,
        }
    }

    /// Like [`finish`](Self::finish), but also checks that the chain ends at the head its writer
    /// recorded separately (seq and hash), which catches records cut from the end.
    /// An acknowledged gap right at the end counts: the records stop where it begins, and the
    /// recorded head is its last missing record.
    pub fn finish_at_head(
        mut self,
        recorded_seq: i64,
        recorded_hash: &str,
    ) -> Result<ChainSummary, ChainBreak> {
        if self.next_seq - 1 != recorded_seq {
            self.cross_gap();
        }
        let last_seq = self.next_seq - 1;
        if last_seq != recorded_seq || self.head_hash != recorded_hash {
            return Err(ChainBreak {
                chain_id: self.chain_id.clone(),
                seq: last_seq,
                record_id: String::new(),
                problem: BreakKind::HeadMismatch {
                    recorded_seq,
                    recorded_hash: recorded_hash.to_string(),
                    found_hash: self.head_hash,
                },
            });
        }
        Ok(self.finish())
    }
}

impl ChainVerifier {
    /// Like [`finish`](Self::finish) for a chain whose writer recorded no head: an empty
    /// chain is fine, records without a head row are a [`BreakKind::HeadMissing`].
    pub fn finish_without_head(self) -> Result<ChainSummary, ChainBreak> {
        if self.records == 0 {
            return Ok(self.finish());
        }
        Err(ChainBreak {
            chain_id: self.chain_id.clone(),
            seq: self.next_seq - 1,
            record_id: String::new(),
            problem: BreakKind::HeadMissing {
                found_hash: self.head_hash,
            },
        })
    }
}

/// Verifies a whole chain given in seq order. An empty slice is an empty (valid) chain with an
/// empty chain id.
pub fn verify(records: &[ConsentRecord]) -> Result<ChainSummary, ChainBreak> {
    let chain_id = records
        .first()
        .map(|r| r.chain_id.as_str())
        .unwrap_or_default();
    let mut verifier = ChainVerifier::new(chain_id);
    for record in records {
        verifier.push(record)?;
    }
    Ok(verifier.finish())
}

/// Links `record` after `prev_hash` at `seq` and fills in its hash. The writer's one way to
/// extend a chain.
pub fn seal(record: &mut ConsentRecord, seq: i64, prev_hash: &str) {
    record.seq = seq;
    record.prev_hash = prev_hash.to_string();
    record.hash = record.compute_hash();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::hash::tests::sample;

    fn chain(n: i64) -> Vec<ConsentRecord> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut record = sample();
                record.id = format!("R{seq:025}");
                seal(&mut record, seq, &prev);
                prev = record.hash.clone();
                record
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_and_reports_its_head() {
        let records = chain(5);
        let summary = verify(&records).unwrap();
        assert_eq!(summary.records, 5);
        assert_eq!(summary.head_hash, records[4].hash);
        assert_eq!(verify(&[]).unwrap().head_hash, GENESIS_HASH);
    }

    #[test]
    fn a_changed_record_is_named_by_seq() {
        let mut records = chain(5);
        records[2]
            .choice
            .categories
            .insert("marketing".into(), true);
        let err = verify(&records).unwrap_err();
        assert_eq!(err.seq, 3);
        assert!(
            matches!(err.problem, BreakKind::HashMismatch { .. }),
            "{err}"
        );
    }

    #[test]
    fn a_changed_record_with_recomputed_hash_breaks_the_next_link() {
        let mut records = chain(5);
        records[2].choice.gpc = true;
        records[2].hash = records[2].compute_hash();
        let err = verify(&records).unwrap_err();
        assert_eq!(err.seq, 4);
        assert!(matches!(err.problem, BreakKind::BrokenLink { .. }), "{err}");
    }

    #[test]
    fn a_removed_record_is_a_gap() {
        let mut records = chain(5);
        records.remove(1);
        let err = verify(&records).unwrap_err();
        assert_eq!(
            (err.seq, err.problem.clone()),
            (3, BreakKind::SeqGap { expected: 2 })
        );
        assert!(err.to_string().contains("records were removed"), "{err}");
    }

    /// Records 1..=8 where 4..=6 were cut and acknowledged: 7 links to 6's hash.
    fn chain_across_a_gap() -> (Vec<ConsentRecord>, Gap) {
        let full = chain(8);
        let gap = Gap {
            first_missing: 4,
            last_missing: 6,
            before_hash: full[2].hash.clone(),
            last_missing_hash: full[5].hash.clone(),
        };
        let kept = full
            .into_iter()
            .filter(|r| !(4..=6).contains(&r.seq))
            .collect();
        (kept, gap)
    }

    #[test]
    fn an_acknowledged_gap_is_walked_across_and_reported() {
        let (records, gap) = chain_across_a_gap();
        assert!(
            verify(&records).is_err(),
            "without the acknowledgement it is a gap"
        );
        let mut verifier = ChainVerifier::with_gaps("chain-a", vec![gap.clone()]);
        records.iter().for_each(|r| verifier.push(r).unwrap());
        let summary = verifier.finish_at_head(8, &records[4].hash).unwrap();
        assert_eq!((summary.records, summary.head_seq), (5, 8));
        assert_eq!(summary.gaps, vec![gap]);
    }

    #[test]
    fn a_gap_acknowledged_for_other_records_does_not_cover_a_removal() {
        let (mut records, gap) = chain_across_a_gap();
        // Another record removed before the gap: the chain no longer ends where the note says.
        records.remove(1);
        let mut verifier = ChainVerifier::with_gaps("chain-a", vec![gap.clone()]);
        assert!(records.iter().try_for_each(|r| verifier.push(r)).is_err());
        // A record after the gap removed too: the resumption must be exactly after it.
        let (mut records, _) = chain_across_a_gap();
        records.remove(3);
        let mut verifier = ChainVerifier::with_gaps("chain-a", vec![gap.clone()]);
        assert!(records.iter().try_for_each(|r| verifier.push(r)).is_err());
        // A record after the gap that links elsewhere.
        let (mut records, _) = chain_across_a_gap();
        records[3].prev_hash = records[2].hash.clone();
        records[3].hash = records[3].compute_hash();
        let mut verifier = ChainVerifier::with_gaps("chain-a", vec![gap]);
        let err = records
            .iter()
            .try_for_each(|r| verifier.push(r))
            .unwrap_err();
        assert!(matches!(err.problem, BreakKind::BrokenLink { .. }), "{err}");
    }

    #[test]
    fn an_acknowledged_gap_at_the_end_meets_the_recorded_head() {
        let full = chain(6);
        let gap = Gap {
            first_missing: 4,
            last_missing: 6,
            before_hash: full[2].hash.clone(),
            last_missing_hash: full[5].hash.clone(),
        };
        let mut verifier = ChainVerifier::with_gaps("chain-a", vec![gap]);
        full[..3].iter().for_each(|r| verifier.push(r).unwrap());
        let summary = verifier.clone().finish_at_head(6, &full[5].hash).unwrap();
        assert_eq!(
            (summary.records, summary.head_seq, summary.gaps.len()),
            (3, 6, 1)
        );
        assert!(verifier.finish_at_head(7, &full[5].hash).is_err());
    }

    #[test]
    fn a_cut_tail_is_caught_by_the_recorded_head() {
        let records = chain(5);
        let head = records[4].hash.clone();
        let mut verifier = ChainVerifier::new("chain-a");
        for record in &records[..4] {
            verifier.push(record).unwrap();
        }
        let err = verifier.clone().finish_at_head(5, &head).unwrap_err();
        assert!(
            matches!(
                err.problem,
                BreakKind::HeadMismatch {
                    recorded_seq: 5,
                    ..
                }
            ),
            "{err}"
        );
        verifier.push(&records[4]).unwrap();
        assert_eq!(verifier.finish_at_head(5, &head).unwrap().records, 5);
    }

    #[test]
    fn swapped_records_are_detected() {
        let mut records = chain(5);
        records.swap(1, 2);
        assert!(verify(&records).is_err());
        // Even with renumbered seqs, the links give the reordering away.
        records[1].seq = 2;
        records[2].seq = 3;
        let err = verify(&records).unwrap_err();
        assert_eq!(err.seq, 2);
    }
}
