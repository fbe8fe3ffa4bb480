//! Ledger PRUNING: the [`LedgerPrune`] trait, implemented by [`Store`]. A chain's oldest
//! records are removed once nobody relies on them and their proof period has passed
//! (`kapsel_core::consent::reliance`), always as a PREFIX seq 1..=N, and the removed prefix is
//! sealed by a signed note (`kapsel_core::signing::seal`) kept in `ledger_seals` in the same
//! transaction as the removal: a crash never leaves records removed without their seal. Every
//! verifier then starts the chain from the newest seal. Seals are appended, never replaced.
//!
//! Which prefix may go ([`LedgerPrune::plan_prune`]): the records after the newest seal, in seq
//! order, up to the first one still needed; the chain's head record always stays, so the head
//! its writer recorded remains a record anyone can check and the writer resumes after it as
//! before. Whether a record was superseded is read from its lineage (`lineage_root`): the
//! earliest later record, by `(recorded_at_ms, chain_id, seq)`, of the same first receipt.
//! Checking that the chain verifies before pruning, and signing the seal, are the caller's.

mod sql;

use std::future::Future;

use kapsel_core::Millis;
use kapsel_core::consent::reliance::needed_until;
use kapsel_core::privacy::duration::Duration;

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// A seal as kept in `ledger_seals`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSeal {
    pub chain_id: String,
    /// Records seq 1..=size are removed.
    pub size: i64,
    /// The hash record `size` had.
    pub head_hash: String,
    pub sealed_at_ms: Millis,
    pub key_id: String,
    /// The signed `kapsel-seal/v1` note.
    pub note: String,
}

/// One record as the prune rule reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneCandidate {
    pub seq: i64,
    pub id: String,
    pub hash: String,
    pub recorded_at_ms: Millis,
    pub expires_at_ms: Millis,
    /// When a later record of its lineage was recorded, if one was.
    pub superseded_at_ms: Option<Millis>,
}

/// Why a prune stopped where it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PruneStop {
    /// Record `seq` (receipt `id`) is still needed until `until_ms`.
    Needed {
        seq: i64,
        id: String,
        until_ms: Millis,
    },
    /// Record `seq` is the chain's head, which always stays.
    ChainHead { seq: i64 },
    /// The step's limit of records was reached; the next step goes on.
    Limit,
    /// The chain has no head row: nothing is removed from it.
    NoHead,
}

/// What may go from one chain: records `first_seq..=size` (`records` of them, fewer than the
/// span when acknowledged gaps lie inside), ending with the hash `head_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunePlan {
    pub chain_id: String,
    /// The size of the newest seal the plan extends (0 without one).
    pub after_size: i64,
    /// `None` when nothing may go.
    pub prefix: Option<PrunePrefix>,
    pub stop: PruneStop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunePrefix {
    pub first_seq: i64,
    pub size: i64,
    pub head_hash: String,
    pub records: u64,
}

/// Why a seal was not written (nothing was removed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealRefused {
    #[error("record seq {size} of chain {chain_id} is not there with the sealed head hash")]
    HeadNotFound { chain_id: String, size: i64 },
    #[error("record seq {size} is the head of chain {chain_id} (or past it), which always stays")]
    ReachesTheHead { chain_id: String, size: i64 },
    #[error("chain {chain_id} is sealed up to seq {sealed} already; a new seal must go further")]
    NotBeyondTheSeal { chain_id: String, sealed: i64 },
}

/// How many records one page of a plan reads.
const PAGE: i64 = 1_000;

/// Removing no-longer-needed prefixes of the ledger's chains, sealed.
pub trait LedgerPrune: Send + Sync {
    /// The seals of `chain_id`, oldest (smallest) first.
    fn seals(
        &self,
        chain_id: &str,
    ) -> impl Future<Output = Result<Vec<StoredSeal>, StoreError>> + Send;

    /// Records of `chain_id` after `after_seq`, in seq order, as the prune rule reads them.
    fn prune_candidates(
        &self,
        chain_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<PruneCandidate>, StoreError>> + Send;

    /// The head seq its writer recorded for `chain_id`.
    fn recorded_head_seq(
        &self,
        chain_id: &str,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;

    /// In ONE transaction: checks that record `seal.size` is there with `seal.head_hash`,
    /// is not the chain's head and lies beyond the newest seal; removes the records seq
    /// 1..=`seal.size` of the chain (and the lineage heads nothing of is left); keeps `seal`.
    /// The number of records removed, or why nothing was.
    fn remove_sealed_prefix(
        &self,
        seal: &StoredSeal,
    ) -> impl Future<Output = Result<Result<u64, SealRefused>, StoreError>> + Send;

    /// What may go from `chain_id` at `now_ms` under `proof_period`, at most `limit` records:
    /// the longest prefix after the newest seal of records no longer needed, stopping at the
    /// first record still needed and before the chain's head.
    fn plan_prune(
        &self,
        chain_id: &str,
        proof_period: Duration,
        now_ms: Millis,
        limit: u64,
    ) -> impl Future<Output = Result<PrunePlan, StoreError>> + Send {
        async move {
            let after_size = self.seals(chain_id).await?.last().map_or(0, |s| s.size);
            let mut plan = PrunePlan {
                chain_id: chain_id.to_owned(),
                after_size,
                prefix: None,
                stop: PruneStop::NoHead,
            };
            let Some(head_seq) = self.recorded_head_seq(chain_id).await? else {
                return Ok(plan);
            };
            let mut after = after_size;
            loop {
                let page = self.prune_candidates(chain_id, after, PAGE).await?;
                for record in &page {
                    if record.seq >= head_seq {
                        plan.stop = PruneStop::ChainHead { seq: record.seq };
                        return Ok(plan);
                    }
                    if plan.prefix.as_ref().is_some_and(|p| p.records >= limit) {
                        plan.stop = PruneStop::Limit;
                        return Ok(plan);
                    }
                    let until =
                        needed_until(record.expires_at_ms, record.superseded_at_ms, proof_period)
                            .unwrap_or(Millis::MAX);
                    if now_ms < until {
                        plan.stop = PruneStop::Needed {
                            seq: record.seq,
                            id: record.id.clone(),
                            until_ms: until,
                        };
                        return Ok(plan);
                    }
                    let prefix = plan.prefix.get_or_insert_with(|| PrunePrefix {
                        first_seq: record.seq,
                        size: record.seq,
                        head_hash: String::new(),
                        records: 0,
                    });
                    prefix.size = record.seq;
                    prefix.head_hash = record.hash.clone();
                    prefix.records += 1;
                }
                match page.last() {
                    Some(last) if page.len() as i64 == PAGE => after = last.seq,
                    // The records end before the recorded head (a cut end): stop there too.
                    _ => {
                        plan.stop = PruneStop::ChainHead { seq: head_seq };
                        return Ok(plan);
                    }
                }
            }
        }
    }
}

impl LedgerPrune for Store {
    async fn seals(&self, chain_id: &str) -> Result<Vec<StoredSeal>, StoreError> {
        on_pool!(self, sql::seals(chain_id))
    }

    async fn prune_candidates(
        &self,
        chain_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<PruneCandidate>, StoreError> {
        on_pool!(self, sql::candidates(chain_id, after_seq, limit))
    }

    async fn recorded_head_seq(&self, chain_id: &str) -> Result<Option<i64>, StoreError> {
        on_pool!(self, sql::recorded_head_seq(chain_id))
    }

    async fn remove_sealed_prefix(
        &self,
        seal: &StoredSeal,
    ) -> Result<Result<u64, SealRefused>, StoreError> {
        on_pool!(self, sql::remove_sealed_prefix(seal))
    }
}
