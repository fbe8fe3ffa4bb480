//! Ledger WRITING: the [`LedgerAppend`] trait and its implementation, the group-commit
//! [`Ledger`]. One writer task per chain seals and commits batches (`writer`); its statements
//! are in `sql`. A consumer that records choices depends on [`LedgerAppend`] alone.

mod sql;
mod writer;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use kapsel_core::Clock;
use kapsel_core::consent::{ConsentChoice, Lifetimes, Receipt, RecordContext};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use crate::{LedgerError, Store};

use writer::{Pending, Writer};

/// Appending to the consent ledger.
pub trait LedgerAppend: Send + Sync {
    /// Appends a record of `choice` with receipt id `id`. The ledger stamps the time and the
    /// expiry (from `lifetimes`); the receipt comes back only once the record is committed.
    fn append(
        &self,
        id: String,
        choice: ConsentChoice,
        context: RecordContext,
        lifetimes: Lifetimes,
    ) -> impl Future<Output = Result<Receipt, LedgerError>> + Send;
}

/// Tuning of the writer.
#[derive(Debug, Clone, Copy)]
pub struct LedgerOptions {
    /// The most appends committed in one transaction.
    pub max_batch: usize,
    /// Pending appends that may wait in the queue before `append` waits for room.
    pub queue_capacity: usize,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            max_batch: 1024,
            queue_capacity: 16_384,
        }
    }
}

/// Counters of the writer, for metrics and benchmarks.
#[derive(Debug, Default)]
pub struct LedgerStats {
    pub batches: AtomicU64,
    pub records: AtomicU64,
    pub failed_batches: AtomicU64,
    /// Microseconds spent writing and committing batches (the database's share of the time).
    pub commit_micros: AtomicU64,
}

/// A handle on one chain's writer; clone it freely.
#[derive(Debug, Clone)]
pub struct Ledger {
    queue: mpsc::Sender<Pending>,
    chain_id: Arc<str>,
    stats: Arc<LedgerStats>,
    stopped: watch::Receiver<bool>,
}

impl Ledger {
    /// Starts the writer of `chain_id` with default options. It resumes the chain's head, and
    /// stops (after committing what is queued) when `shutdown` is cancelled.
    pub async fn start(
        store: Store,
        chain_id: String,
        clock: Arc<dyn Clock>,
        shutdown: CancellationToken,
    ) -> Result<Ledger, LedgerError> {
        Ledger::start_with(store, chain_id, clock, shutdown, LedgerOptions::default()).await
    }

    pub async fn start_with(
        store: Store,
        chain_id: String,
        clock: Arc<dyn Clock>,
        shutdown: CancellationToken,
        options: LedgerOptions,
    ) -> Result<Ledger, LedgerError> {
        let stats = Arc::new(LedgerStats::default());
        let mut writer = Writer::new(store, chain_id.clone(), clock, stats.clone());
        writer.connect().await?;
        let (queue, receiver) = mpsc::channel(options.queue_capacity.max(1));
        let (stopped_tx, stopped) = watch::channel(false);
        tokio::spawn(async move {
            writer
                .run(receiver, shutdown, options.max_batch.max(1))
                .await;
            let _ = stopped_tx.send(true);
        });
        Ok(Ledger {
            queue,
            chain_id: chain_id.into(),
            stats,
            stopped,
        })
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    pub fn stats(&self) -> &LedgerStats {
        &self.stats
    }

    /// Waits until the writer has stopped (after shutdown, with its queue committed).
    pub async fn stopped(&self) {
        let mut stopped = self.stopped.clone();
        let _ = stopped.wait_for(|done| *done).await;
    }
}

impl LedgerAppend for Ledger {
    async fn append(
        &self,
        id: String,
        choice: ConsentChoice,
        context: RecordContext,
        lifetimes: Lifetimes,
    ) -> Result<Receipt, LedgerError> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            id,
            choice,
            context,
            lifetimes,
            reply,
        };
        self.queue
            .send(pending)
            .await
            .map_err(|_| LedgerError::ShuttingDown)?;
        answer.await.map_err(|_| LedgerError::ShuttingDown)?
    }
}
