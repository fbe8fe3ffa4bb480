//! Ledger WRITING: the [`LedgerAppend`] trait and its implementation, the group-commit
//! [`Ledger`]. One writer task per chain seals and commits batches (`writer`); its statements
//! are in `sql`. A consumer that records choices depends on [`LedgerAppend`] alone.

mod head;
mod health;
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

pub use head::ChainHeadMismatch;
use health::HealthCell;
pub use health::{RETRY_AFTER_S, WriterHealth};
use writer::{Pending, Writer};

/// One append with everything the consent API knows beside the choice.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub id: String,
    pub choice: ConsentChoice,
    pub context: RecordContext,
    pub lifetimes: Lifetimes,
    /// Whether the choice grants anything beyond strictly necessary, as the privacy file says
    /// (`SiteConsent::grants_beyond_necessary`); `None` decides by the choice alone
    /// ([`Lifetimes::for_choice`]).
    pub grants: Option<bool>,
    /// SHA-256 (lower-case hex) of the receipt secret handed only to the client that made this
    /// record: what it must prove it holds to extend this receipt's lineage. Not hashed into
    /// the record.
    pub secret_hash: Option<String>,
}

impl AppendRequest {
    pub fn new(
        id: String,
        choice: ConsentChoice,
        context: RecordContext,
        lifetimes: Lifetimes,
    ) -> AppendRequest {
        AppendRequest {
            id,
            choice,
            context,
            lifetimes,
            grants: None,
            secret_hash: None,
        }
    }
}

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
    ) -> impl Future<Output = Result<Receipt, LedgerError>> + Send {
        self.submit(AppendRequest::new(id, choice, context, lifetimes))
    }

    /// Appends `request`, as [`append`](Self::append) does with its parts.
    fn submit(
        &self,
        request: AppendRequest,
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
    health: Arc<HealthCell>,
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
        let health = Arc::new(HealthCell::new(WriterHealth::Ready));
        let mut writer = Writer::new(
            store,
            chain_id.clone(),
            clock,
            stats.clone(),
            health.clone(),
        );
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
            health,
            stopped,
        })
    }

    /// A writer for `chain_id` that never writes: every append is answered with
    /// [`LedgerError::Refused`] carrying `reason`, and [`health`](Self::health) says refused.
    /// For a server that keeps serving (banner scripts, readiness, metrics) when its chain's
    /// head did not match at start; it stops when `shutdown` is cancelled.
    pub fn refusing(chain_id: String, reason: String, shutdown: CancellationToken) -> Ledger {
        let (queue, mut receiver) = mpsc::channel::<Pending>(64);
        let (stopped_tx, stopped) = watch::channel(false);
        let health = Arc::new(HealthCell::new(WriterHealth::Refused {
            reason: reason.clone(),
        }));
        tokio::spawn(async move {
            loop {
                let pending = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    next = receiver.recv() => match next {
                        Some(pending) => pending,
                        None => break,
                    },
                };
                let _ = pending
                    .reply
                    .send(Err(LedgerError::Refused(reason.clone())));
            }
            let _ = stopped_tx.send(true);
        });
        Ledger {
            queue,
            chain_id: chain_id.into(),
            stats: Arc::new(LedgerStats::default()),
            health,
            stopped,
        }
    }

    /// Whether the writer can write now: ready, failing (retrying), or refused.
    pub fn health(&self) -> WriterHealth {
        self.health.get()
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
    async fn submit(&self, request: AppendRequest) -> Result<Receipt, LedgerError> {
        let (reply, answer) = oneshot::channel();
        let pending = Pending { request, reply };
        self.queue
            .send(pending)
            .await
            .map_err(|_| LedgerError::ShuttingDown)?;
        answer.await.map_err(|_| LedgerError::ShuttingDown)?
    }
}
