//! Reading the ledger out: one record, the current state of a receipt, paged exports with site
//! and time filters, and verification of every chain.

use futures::Stream;
use kapsel_core::Millis;
use kapsel_core::consent::chain::ChainVerifier;
use kapsel_core::consent::{ChainBreak, ChainSummary, ConsentRecord};

use crate::queries::{postgres, sqlite};
use crate::{Store, StoreError};

/// Which records an export covers. `since` is inclusive, `until` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    pub site: Option<String>,
    pub since_ms: Option<Millis>,
    pub until_ms: Option<Millis>,
}

/// The outcome of verifying one chain: intact, or the first break found.
pub type ChainVerdict = Result<ChainSummary, ChainBreak>;

const PAGE: i64 = 1_000;
/// A receipt lineage longer than this is treated as its own end (guards against loops).
const MAX_LINEAGE: usize = 10_000;

impl Store {
    /// The record with receipt id `id`.
    pub async fn get_record(&self, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        match self {
            Store::Sqlite(pool) => sqlite::get_record(pool, id).await,
            Store::Postgres(pool) => postgres::get_record(pool, id).await,
        }
    }

    /// The newest record naming `id` as its previous receipt.
    pub async fn successor(&self, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        match self {
            Store::Sqlite(pool) => sqlite::successor(pool, id).await,
            Store::Postgres(pool) => postgres::successor(pool, id).await,
        }
    }

    /// Every record of the receipt `id` and its replacements, oldest first: `id` itself, then
    /// the record that named it as previous receipt, and so on. Empty when `id` is unknown.
    pub async fn receipt_lineage(&self, id: &str) -> Result<Vec<ConsentRecord>, StoreError> {
        let Some(first) = self.get_record(id).await? else {
            return Ok(Vec::new());
        };
        let mut lineage = vec![first];
        while lineage.len() < MAX_LINEAGE {
            let Some(last) = lineage.last() else { break };
            match self.successor(&last.id).await? {
                Some(next) if !lineage.iter().any(|r| r.id == next.id) => lineage.push(next),
                _ => break,
            }
        }
        Ok(lineage)
    }

    /// The current state of receipt `id`: the newest record in its lineage (a withdrawal is a
    /// new record naming the earlier receipt). `None` when `id` is unknown.
    pub async fn latest_for_receipt(&self, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        Ok(self.receipt_lineage(id).await?.pop())
    }

    /// One page of records matching `filter`, ordered by time, chain and seq; pass the last
    /// record of the previous page as `after`.
    pub async fn export_page(
        &self,
        filter: &ExportFilter,
        after: Option<&ConsentRecord>,
        limit: i64,
    ) -> Result<Vec<ConsentRecord>, StoreError> {
        let cursor = after.map(|r| (r.recorded_at_ms, r.chain_id.clone(), r.seq));
        match self {
            Store::Sqlite(pool) => sqlite::export_page(pool, filter, cursor.as_ref(), limit).await,
            Store::Postgres(pool) => {
                postgres::export_page(pool, filter, cursor.as_ref(), limit).await
            }
        }
    }

    /// All records matching `filter` as a stream, fetched a page at a time.
    pub fn export(
        &self,
        filter: ExportFilter,
    ) -> impl Stream<Item = Result<ConsentRecord, StoreError>> + Send + 'static {
        let store = self.clone();
        let pages = futures::stream::try_unfold(Some(None::<ConsentRecord>), move |state| {
            let store = store.clone();
            let filter = filter.clone();
            async move {
                let Some(after) = state else {
                    return Ok::<_, StoreError>(None);
                };
                let page = store.export_page(&filter, after.as_ref(), PAGE).await?;
                let next = if (page.len() as i64) < PAGE {
                    None
                } else {
                    Some(page.last().cloned())
                };
                if page.is_empty() {
                    return Ok(None);
                }
                Ok(Some((
                    futures::stream::iter(page.into_iter().map(Ok)),
                    next,
                )))
            }
        });
        futures::TryStreamExt::try_flatten(pages)
    }

    /// The ids of every chain in the ledger.
    pub async fn chain_ids(&self) -> Result<Vec<String>, StoreError> {
        match self {
            Store::Sqlite(pool) => sqlite::chain_ids(pool).await,
            Store::Postgres(pool) => postgres::chain_ids(pool).await,
        }
    }

    /// Records of `chain_id` after `after_seq`, in seq order.
    pub async fn chain_page(
        &self,
        chain_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<ConsentRecord>, StoreError> {
        match self {
            Store::Sqlite(pool) => sqlite::chain_page(pool, chain_id, after_seq, limit).await,
            Store::Postgres(pool) => postgres::chain_page(pool, chain_id, after_seq, limit).await,
        }
    }

    /// Verifies one chain from its first record to the head its writer recorded.
    pub async fn verify_chain(&self, chain_id: &str) -> Result<ChainVerdict, StoreError> {
        let mut verifier = ChainVerifier::new(chain_id);
        let mut after_seq = 0;
        loop {
            let page = self.chain_page(chain_id, after_seq, PAGE).await?;
            for record in &page {
                if let Err(broken) = verifier.push(record) {
                    return Ok(Err(broken));
                }
            }
            match page.last() {
                Some(last) if page.len() as i64 == PAGE => after_seq = last.seq,
                _ => break,
            }
        }
        let recorded = match self {
            Store::Sqlite(pool) => sqlite::recorded_head(pool, chain_id).await?,
            Store::Postgres(pool) => postgres::recorded_head(pool, chain_id).await?,
        };
        Ok(match recorded {
            Some((seq, hash)) => verifier.finish_at_head(seq, &hash),
            None => Ok(verifier.finish()),
        })
    }

    /// Verifies every chain; one verdict per chain, in chain id order.
    pub async fn verify_all(&self) -> Result<Vec<ChainVerdict>, StoreError> {
        let mut verdicts = Vec::new();
        for chain_id in self.chain_ids().await? {
            verdicts.push(self.verify_chain(&chain_id).await?);
        }
        Ok(verdicts)
    }
}
