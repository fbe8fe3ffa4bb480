//! Ledger READING: the [`LedgerRead`] trait, implemented by [`Store`]: one record, what an
//! extension of a receipt must match (its site and secret hash), a receipt's lineage and its
//! current state (in O(1): the lineage's head is kept in `receipt_heads` by the writer), and
//! exports filtered by site and time, paged or as a stream. The receipt endpoint and the
//! exporter depend on this trait alone.

mod lineage;
mod sql;

use std::future::Future;

use futures::Stream;
use kapsel_core::Millis;
use kapsel_core::consent::ConsentRecord;

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// Which records an export covers. `since` is inclusive, `until` exclusive.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportFilter {
    pub site: Option<String>,
    pub since_ms: Option<Millis>,
    pub until_ms: Option<Millis>,
}

/// How many records one page of a streamed export fetches.
const PAGE: i64 = 1_000;
/// A receipt lineage longer than this is treated as its own end (guards against loops).
const MAX_LINEAGE: usize = 10_000;

/// What a new choice naming `id` as its previous receipt must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousReceipt {
    pub id: String,
    pub site: String,
    /// SHA-256 (hex) of the receipt's secret; `None` for a record made before receipts had
    /// secrets, which nobody can prove to hold.
    pub secret_hash: Option<String>,
}

/// Reading records out of the consent ledger.
pub trait LedgerRead: Send + Sync {
    /// The site and secret hash of receipt `id`, for checking a choice that replaces it.
    fn previous_receipt(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<PreviousReceipt>, StoreError>> + Send;

    /// The record with receipt id `id`.
    fn get_record(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<ConsentRecord>, StoreError>> + Send;

    /// Every record of the receipt `id` and its replacements, oldest first: `id` itself, then
    /// the newest record that named it as previous receipt, and so on, at most 10,000 records
    /// (a walk, for audits; the current state is [`latest_for_receipt`](Self::latest_for_receipt)).
    /// Empty when `id` is unknown.
    fn receipt_lineage(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Vec<ConsentRecord>, StoreError>> + Send;

    /// The current state of receipt `id`: the newest record (by recorded_at_ms, chain_id,
    /// seq) of the lineage `id` belongs to, from the lineage's first record to everything that
    /// replaced it (a withdrawal is a new record naming the earlier receipt). Two index lookups
    /// however long the lineage. `None` when `id` is unknown.
    fn latest_for_receipt(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<ConsentRecord>, StoreError>> + Send;

    /// One page of records matching `filter`, ordered by time, chain and seq; pass the last
    /// record of the previous page as `after`.
    fn export_page(
        &self,
        filter: &ExportFilter,
        after: Option<&ConsentRecord>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<ConsentRecord>, StoreError>> + Send;

    /// All records matching `filter` as a stream, fetched a page at a time. A row that cannot
    /// be read is an `Err(StoreError::CorruptRow)` naming it, and the stream goes on with the
    /// rows after it, so one bad row does not block a whole export; any other error ends it.
    fn export(
        &self,
        filter: ExportFilter,
    ) -> impl Stream<Item = Result<ConsentRecord, StoreError>> + Send + 'static;
}

impl LedgerRead for Store {
    async fn previous_receipt(&self, id: &str) -> Result<Option<PreviousReceipt>, StoreError> {
        on_pool!(self, sql::previous_receipt(id))
    }

    async fn get_record(&self, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        on_pool!(self, sql::get_record(id))
    }

    async fn receipt_lineage(&self, id: &str) -> Result<Vec<ConsentRecord>, StoreError> {
        // The lineage's k-th record is k hops from `id`.
        let max_depth = MAX_LINEAGE as i64 - 1;
        let reachable = on_pool!(self, sql::reachable_from(id, max_depth))?;
        Ok(lineage::pick(id, reachable, MAX_LINEAGE))
    }

    async fn latest_for_receipt(&self, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        on_pool!(self, sql::lineage_head(id))
    }

    async fn export_page(
        &self,
        filter: &ExportFilter,
        after: Option<&ConsentRecord>,
        limit: i64,
    ) -> Result<Vec<ConsentRecord>, StoreError> {
        let cursor = after.map(|r| (r.recorded_at_ms, r.chain_id.clone(), r.seq));
        on_pool!(self, sql::export_page(filter, cursor.as_ref(), limit))
    }

    fn export(
        &self,
        filter: ExportFilter,
    ) -> impl Stream<Item = Result<ConsentRecord, StoreError>> + Send + 'static {
        let store = self.clone();
        // The state: where the next page starts, or `None` once the last page was read.
        let pages = futures::stream::unfold(Some(None::<(i64, String, i64)>), move |state| {
            let store = store.clone();
            let filter = filter.clone();
            async move {
                let after = state?;
                let page = on_pool!(&store, sql::export_rows(&filter, after.as_ref(), PAGE));
                let rows = match page {
                    Ok(rows) => rows,
                    Err(err) => return Some((vec![Err(err)], None)),
                };
                if rows.is_empty() {
                    return None;
                }
                let next = if (rows.len() as i64) < PAGE {
                    None
                } else {
                    rows.last().map(|(position, _)| Some(position.clone()))
                };
                let items: Vec<_> = rows.into_iter().map(|(_, record)| record).collect();
                Some((items, next))
            }
        });
        futures::StreamExt::flat_map(pages, futures::stream::iter)
    }
}
