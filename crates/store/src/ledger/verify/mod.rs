//! Ledger VERIFICATION: the [`LedgerVerify`] trait, implemented by [`Store`]: every chain
//! walked from its first record in seq order, each record's hash recomputed, and the end
//! compared with the head its writer recorded, so a changed, removed or cut-off record is
//! named, and so is a chain whose head row was deleted. A row that cannot be read breaks its
//! chain where it is; the other chains are still verified. A pruned chain is walked from its
//! sealed prefix ([`LedgerVerify::verify_chain_sealed`]; the seal's signature is the caller's to
//! check). `kapsel ledger verify` depends on this trait alone.

mod sql;

use std::future::Future;

use kapsel_core::consent::chain::{BreakKind, ChainVerifier, Gap, SealedPrefix};
use kapsel_core::consent::{ChainBreak, ChainSummary, ConsentRecord};

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// The outcome of verifying one chain: intact, or the first break found.
pub type ChainVerdict = Result<ChainSummary, ChainBreak>;

/// How many records one step of a verification reads.
const PAGE: i64 = 1_000;

/// Walking and verifying the ledger's hash chains.
pub trait LedgerVerify: Send + Sync {
    /// The ids of every chain in the ledger.
    fn chain_ids(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Records of `chain_id` after `after_seq`, in seq order.
    fn chain_page(
        &self,
        chain_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ConsentRecord>, StoreError>> + Send;

    /// Verifies one chain from its first record to the head its writer recorded.
    fn verify_chain(
        &self,
        chain_id: &str,
    ) -> impl Future<Output = Result<ChainVerdict, StoreError>> + Send {
        self.verify_chain_across(chain_id, Vec::new())
    }

    /// Like [`verify_chain`](Self::verify_chain), walking across `gaps` (acknowledged gaps
    /// whose notes the caller has checked; see `kapsel_core::signing::gap`).
    fn verify_chain_across(
        &self,
        chain_id: &str,
        gaps: Vec<Gap>,
    ) -> impl Future<Output = Result<ChainVerdict, StoreError>> + Send {
        self.verify_chain_sealed(chain_id, None, gaps)
    }

    /// Like [`verify_chain_across`](Self::verify_chain_across), starting after `sealed` (the
    /// prefix a checked seal says was removed): the first record must be seq `size + 1` linked
    /// to its head hash, and a record inside the prefix that is still there is a break.
    fn verify_chain_sealed(
        &self,
        chain_id: &str,
        sealed: Option<SealedPrefix>,
        gaps: Vec<Gap>,
    ) -> impl Future<Output = Result<ChainVerdict, StoreError>> + Send;

    /// Verifies every chain; one verdict per chain, in chain id order.
    fn verify_all(&self) -> impl Future<Output = Result<Vec<ChainVerdict>, StoreError>> + Send;
}

impl LedgerVerify for Store {
    async fn chain_ids(&self) -> Result<Vec<String>, StoreError> {
        on_pool!(self, sql::chain_ids())
    }

    async fn chain_page(
        &self,
        chain_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<ConsentRecord>, StoreError> {
        on_pool!(self, sql::chain_page(chain_id, after_seq, limit))
    }

    async fn verify_chain_sealed(
        &self,
        chain_id: &str,
        sealed: Option<SealedPrefix>,
        gaps: Vec<Gap>,
    ) -> Result<ChainVerdict, StoreError> {
        let mut verifier = ChainVerifier::after_seal(chain_id, sealed, gaps);
        let mut after_seq = 0;
        loop {
            let page = on_pool!(self, sql::chain_rows(chain_id, after_seq, PAGE))?;
            for (seq, id, record) in &page {
                let pushed = match record {
                    Ok(record) => verifier.push(record),
                    Err(unreadable) => Err(ChainBreak {
                        chain_id: chain_id.to_owned(),
                        seq: *seq,
                        record_id: id.clone(),
                        problem: BreakKind::Unreadable {
                            reason: unreadable.to_string(),
                        },
                    }),
                };
                if let Err(broken) = pushed {
                    return Ok(Err(broken));
                }
            }
            match page.last() {
                Some((seq, ..)) if page.len() as i64 == PAGE => after_seq = *seq,
                _ => break,
            }
        }
        Ok(match on_pool!(self, sql::recorded_head(chain_id))? {
            Some((seq, hash)) => verifier.finish_at_head(seq, &hash),
            None => verifier.finish_without_head(),
        })
    }

    async fn verify_all(&self) -> Result<Vec<ChainVerdict>, StoreError> {
        let mut verdicts = Vec::new();
        for chain_id in self.chain_ids().await? {
            verdicts.push(self.verify_chain(&chain_id).await?);
        }
        Ok(verdicts)
    }
}
