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
//!
//! A [`SealedPrefix`] (records seq 1..=N removed by `kapsel ledger prune`, sealed by a signed
//! note; see `signing::seal`) is where a verifier given it starts: the first remaining record
//! must have seq N+1 and link to the hash record N had. Checking the seal's signature is the
//! caller's too.

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
    /// The sealed prefix the walk started after (`records` counts only what remains).
    pub sealed: Option<SealedPrefix>,
}

/// Records seq 1..=`size` removed from a chain and sealed (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPrefix {
    /// How many sequence numbers the removed prefix covers: the seq of its last record.
    pub size: i64,
    /// The hash record `size` had: what record `size + 1` links to.
    pub head_hash: String,
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
    /// A record inside the sealed prefix is still there: it was put back or renumbered after
    /// the prefix was removed (the removal and the seal are one transaction).
    InsideSealedPrefix { sealed_size: i64 },
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
            BreakKind::InsideSealedPrefix { sealed_size } => write!(
                f,
                "the records up to seq {sealed_size} were removed and sealed, but this one is \
                 still there: it was put back or renumbered"
            ),
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
    sealed: Option<SealedPrefix>,
}

impl ChainVerifier {
    pub fn new(chain_id: &str) -> Self {
        ChainVerifier::with_gaps(chain_id, Vec::new())
    }

    /// A verifier that walks across `gaps` (acknowledged, their notes checked by the caller).
    pub fn with_gaps(chain_id: &str, gaps: Vec<Gap>) -> Self {
        ChainVerifier::after_seal(chain_id, None, gaps)
    }

    /// A verifier that starts after `sealed` (when given) and walks across `gaps`: the first
    /// record must have seq `size + 1` and link to the seal's head hash.
    pub fn after_seal(chain_id: &str, sealed: Option<SealedPrefix>, gaps: Vec<Gap>) -> Self {
        let (next_seq, head_hash) = match &sealed {
            Some(seal) => (seal.size + 1, seal.head_hash.clone()),
            None => (1, GENESIS_HASH.to_string()),
        };
        ChainVerifier {
            chain_id: chain_id.to_string(),
            records: 0,
            next_seq,
            head_hash,
            ahead: gaps,
            crossed: Vec::new(),
            sealed,
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
        if let Some(seal) = &self.sealed
            && record.seq <= seal.size
        {
            return Err(broken(BreakKind::InsideSealedPrefix {
                sealed_size: seal.size,
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
            sealed: self.sealed,
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
#[path = "chain_tests.rs"]
mod tests;
