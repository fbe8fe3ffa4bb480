//! The writer task behind a [`Ledger`](super::Ledger), with group commit. One task per chain
//! owns a dedicated connection, drains a queue of pending appends, seals up to `max_batch` of
//! them into the chain in order, writes them in ONE transaction, commits (fsync: SQLite
//! `synchronous=FULL` in WAL, PostgreSQL `synchronous_commit=on`), and only then answers each
//! caller with its receipt. A failed batch answers every caller with an error and reloads the
//! chain head from the database, so a receipt is never handed out for a record that is not on
//! disk.
//!
//! The head is loaded only where it matches the chain's records (`head`); a mismatch stops the
//! writer. While the storage fails the writer reports it (`health`), logs at most one line per
//! interval, and probes the storage until it takes writes again.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use std::collections::HashMap;
use std::time::Duration;

use kapsel_core::Clock;
use kapsel_core::consent::chain::{Gap, seal};
use kapsel_core::consent::expiry;
use kapsel_core::consent::{ConsentRecord, GENESIS_HASH, Receipt};
use kapsel_core::signing::gap::GapNote;
use sqlx::Connection as _;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::health::{HealthCell, LogThrottle, RETRY_AFTER_S};
use super::sql::{RecordLinks, postgres, sqlite};
use super::{AppendRequest, LedgerStats, WriterHealth, head};
use crate::{Checkpoints as _, LedgerError, Store, StoreError, backend};

/// At most one error line per this many milliseconds of the writer's clock.
const LOG_EVERY_MS: i64 = 10_000;

/// One append waiting for its batch.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) request: AppendRequest,
    pub(super) reply: oneshot::Sender<Result<Receipt, LedgerError>>,
}

/// The dedicated connection of a writer, detached from the pool so that the PostgreSQL chain
/// lock lives exactly as long as the writer.
enum WriterConn {
    Sqlite(backend::sqlite::Conn),
    Postgres(backend::postgres::Conn),
}

pub(super) struct Writer {
    store: Store,
    chain_id: String,
    clock: Arc<dyn Clock>,
    conn: Option<WriterConn>,
    head_seq: i64,
    head_hash: String,
    stats: Arc<LedgerStats>,
    health: Arc<HealthCell>,
    log: LogThrottle,
}

impl Writer {
    pub(super) fn new(
        store: Store,
        chain_id: String,
        clock: Arc<dyn Clock>,
        stats: Arc<LedgerStats>,
        health: Arc<HealthCell>,
    ) -> Writer {
        Writer {
            store,
            chain_id,
            clock,
            conn: None,
            head_seq: 0,
            head_hash: GENESIS_HASH.to_string(),
            stats,
            health,
            log: LogThrottle::new(LOG_EVERY_MS),
        }
    }

    /// Opens the writer connection, takes the chain lock (PostgreSQL) and loads the head,
    /// refusing a head that does not match the chain's records ([`head::resume_point`]).
    pub(super) async fn connect(&mut self) -> Result<(), LedgerError> {
        let mut conn = match &self.store {
            Store::Sqlite(pool) => {
                WriterConn::Sqlite(pool.acquire().await.map_err(StoreError::from)?.detach())
            }
            Store::Postgres(pool) => {
                let mut conn = pool.acquire().await.map_err(StoreError::from)?.detach();
                if !postgres::try_lock_chain(&mut conn, &self.chain_id).await? {
                    return Err(LedgerError::ChainInUse(self.chain_id.clone()));
                }
                WriterConn::Postgres(conn)
            }
        };
        let (recorded, last) = match &mut conn {
            WriterConn::Sqlite(conn) => (
                sqlite::recorded_head(conn, &self.chain_id).await?,
                sqlite::last_record(conn, &self.chain_id).await?,
            ),
            WriterConn::Postgres(conn) => (
                postgres::recorded_head(conn, &self.chain_id).await?,
                postgres::last_record(conn, &self.chain_id).await?,
            ),
        };
        // Gaps `kapsel ledger repair` acknowledged: the writer resumes after one that covers
        // exactly this cut end (the note is read, not verified: verifiers check its signature).
        let gaps: Vec<Gap> = self
            .store
            .gaps(&self.chain_id)
            .await?
            .iter()
            .filter_map(|stored| GapNote::read_unverified(&stored.note).ok())
            .map(|note| note.gap())
            .collect();
        match head::resume_point(&self.chain_id, recorded, last.as_ref(), &gaps) {
            Ok(head) => (self.head_seq, self.head_hash) = head,
            Err(mismatch) => {
                // The PostgreSQL chain lock goes with the connection.
                let _ = match conn {
                    WriterConn::Sqlite(conn) => conn.close().await,
                    WriterConn::Postgres(conn) => conn.close().await,
                };
                return Err(LedgerError::HeadMismatch(Box::new(mismatch)));
            }
        }
        self.conn = Some(conn);
        Ok(())
    }

    pub(super) async fn run(
        &mut self,
        mut queue: mpsc::Receiver<Pending>,
        shutdown: CancellationToken,
        max: usize,
    ) {
        let mut batch = Vec::with_capacity(max);
        loop {
            let retry = Duration::from_secs(RETRY_AFTER_S);
            let first = tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                next = queue.recv() => match next {
                    Some(pending) => pending,
                    None => break,
                },
                _ = tokio::time::sleep(retry), if self.health.is_failing() => {
                    self.probe().await;
                    continue;
                }
            };
            batch.push(first);
            while batch.len() < max {
                match queue.try_recv() {
                    Ok(pending) => batch.push(pending),
                    Err(_) => break,
                }
            }
            self.commit(&mut batch).await;
        }
        // Shutting down: refuse new appends, commit what is already queued.
        queue.close();
        while let Some(pending) = queue.recv().await {
            batch.push(pending);
            if batch.len() >= max {
                self.commit(&mut batch).await;
            }
        }
        self.commit(&mut batch).await;
        if let Some(conn) = self.conn.take() {
            let _ = match conn {
                WriterConn::Sqlite(conn) => conn.close().await,
                WriterConn::Postgres(mut conn) => {
                    if let Err(err) = postgres::unlock_chain(&mut conn, &self.chain_id).await {
                        tracing::warn!(
                            chain = %self.chain_id,
                            error = %err,
                            "cannot release the chain lock; closing the connection will"
                        );
                    }
                    conn.close().await
                }
            };
        }
    }

    /// A failure of `what`: counted in the health, logged at most once per interval (with how
    /// many were left out). Returns the error each caller of the batch gets.
    fn failure(&mut self, what: &str, err: &LedgerError, records: usize) -> LedgerError {
        let now = self.clock.now_ms();
        let reason = err.to_string();
        let in_a_row = self.health.failed(now, &reason);
        if let Some(suppressed) = self.log.admit(now) {
            tracing::error!(
                chain = %self.chain_id,
                error = %reason,
                records,
                failures_in_a_row = in_a_row,
                suppressed,
                "{what} (at most one such line per {} s; {suppressed} left out since the last)",
                LOG_EVERY_MS / 1000
            );
        }
        match err {
            LedgerError::HeadMismatch(_) => {
                self.health.refuse(reason.clone());
                LedgerError::Refused(reason)
            }
            _ if err.is_unavailable() => LedgerError::Unavailable(reason),
            _ => LedgerError::BatchFailed(reason),
        }
    }

    /// A success after failures: the health says ready again, and the log says so once.
    fn recovered(&mut self) {
        let ended = self.health.succeeded();
        if ended > 0 {
            self.log.reset();
            tracing::info!(chain = %self.chain_id, failures = ended, "ledger writer writes again");
        }
    }

    /// While failing with no append to try: reconnect if needed and make one small write.
    async fn probe(&mut self) {
        if self.conn.is_none()
            && let Err(err) = self.connect().await
        {
            self.failure("ledger writer cannot reconnect", &err, 0);
            return;
        }
        let now = self.clock.now_ms();
        let probed = match self.conn.as_mut() {
            Some(WriterConn::Sqlite(conn)) => sqlite::probe(conn, &self.chain_id, now).await,
            Some(WriterConn::Postgres(conn)) => postgres::probe(conn, &self.chain_id, now).await,
            None => Ok(()),
        };
        match probed {
            Ok(()) => self.recovered(),
            Err(err) => {
                self.conn = None;
                self.failure("ledger storage probe failed", &err.into(), 0);
            }
        }
    }

    /// The lineage root of each request's previous receipt, from the ledger or from an earlier
    /// record of the same batch; a receipt the ledger does not hold starts no lineage.
    async fn lineage_links(&mut self, batch: &[Pending]) -> Result<Vec<RecordLinks>, StoreError> {
        let previous: Vec<&str> = batch
            .iter()
            .filter_map(|p| p.request.choice.previous_receipt.as_deref())
            .collect();
        let mut roots: HashMap<String, String> = HashMap::new();
        if !previous.is_empty() {
            let found = match self.conn.as_mut() {
                Some(WriterConn::Sqlite(conn)) => sqlite::lineage_roots(conn, &previous).await?,
                Some(WriterConn::Postgres(conn)) => {
                    postgres::lineage_roots(conn, &previous).await?
                }
                None => Vec::new(),
            };
            roots.extend(found);
        }
        let mut links = Vec::with_capacity(batch.len());
        for pending in batch {
            let request = &pending.request;
            let lineage_root = request
                .choice
                .previous_receipt
                .as_deref()
                .and_then(|previous| roots.get(previous).cloned());
            let own_root = lineage_root.clone().unwrap_or_else(|| request.id.clone());
            roots.insert(request.id.clone(), own_root);
            links.push(RecordLinks {
                lineage_root,
                secret_hash: request.secret_hash.clone(),
            });
        }
        Ok(links)
    }

    /// Answers every caller in `batch` with `answer`; leaves `batch` empty.
    fn refuse_all(batch: &mut Vec<Pending>, answer: &LedgerError) {
        for pending in batch.drain(..) {
            let _ = pending.reply.send(Err(same(answer)));
        }
    }

    /// Seals and commits `batch`, answering every caller; leaves `batch` empty.
    async fn commit(&mut self, batch: &mut Vec<Pending>) {
        if batch.is_empty() {
            return;
        }
        if let WriterHealth::Refused { reason } = self.health.get() {
            Writer::refuse_all(batch, &LedgerError::Refused(reason));
            return;
        }
        if self.conn.is_none()
            && let Err(err) = self.connect().await
        {
            let answer = self.failure("ledger writer cannot reconnect", &err, batch.len());
            Writer::refuse_all(batch, &answer);
            return;
        }
        let links = match self.lineage_links(batch).await {
            Ok(links) => links,
            Err(err) => {
                self.conn = None;
                let answer = self.failure("ledger batch failed", &err.into(), batch.len());
                Writer::refuse_all(batch, &answer);
                return;
            }
        };
        let now = self.clock.now_ms();
        let mut records = Vec::with_capacity(batch.len());
        let mut kept_links = Vec::with_capacity(batch.len());
        let mut replies = Vec::with_capacity(batch.len());
        let mut prev_hash = self.head_hash.clone();
        for (pending, link) in batch.drain(..).zip(links) {
            let request = pending.request;
            let lifetime = match request.grants {
                Some(grants) => request.lifetimes.for_grants(grants),
                None => request
                    .lifetimes
                    .for_choice(request.choice.action, &request.choice),
            };
            let expires_at_ms = match expiry::add(now, lifetime) {
                Ok(at) => at,
                Err(err) => {
                    let _ = pending.reply.send(Err(err.into()));
                    continue;
                }
            };
            let mut record = ConsentRecord {
                id: request.id,
                chain_id: self.chain_id.clone(),
                seq: 0,
                recorded_at_ms: now,
                expires_at_ms,
                choice: request.choice,
                context: request.context,
                prev_hash: String::new(),
                hash: String::new(),
            };
            seal(
                &mut record,
                self.head_seq + 1 + records.len() as i64,
                &prev_hash,
            );
            prev_hash.clone_from(&record.hash);
            records.push(record);
            kept_links.push(link);
            replies.push(pending.reply);
        }
        let links = kept_links;
        let Some(last) = records.last() else { return };
        let (last_seq, last_hash) = (last.seq, last.hash.clone());
        // Reason: `commit_micros` is a metric of elapsed time, not a reading of the time of day.
        #[allow(clippy::disallowed_methods)]
        let started = std::time::Instant::now();
        let written = match self.conn.as_mut() {
            Some(WriterConn::Sqlite(conn)) => {
                sqlite::insert_batch(conn, &self.chain_id, now, &records, &links).await
            }
            Some(WriterConn::Postgres(conn)) => {
                postgres::insert_batch_one_statement(conn, &self.chain_id, now, &records, &links)
                    .await
            }
            None => Ok(()),
        };
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.stats
            .commit_micros
            .fetch_add(micros, Ordering::Relaxed);
        match written {
            Ok(()) => {
                self.recovered();
                self.head_seq = last_seq;
                self.head_hash = last_hash;
                self.stats.batches.fetch_add(1, Ordering::Relaxed);
                self.stats
                    .records
                    .fetch_add(records.len() as u64, Ordering::Relaxed);
                for (record, reply) in records.iter().zip(replies) {
                    let _ = reply.send(Ok(record.receipt()));
                }
            }
            Err(err) => {
                self.stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                // The head in memory may be ahead of the database: reconnect and reload it.
                self.conn = None;
                let answer = self.failure("ledger batch failed", &err.into(), records.len());
                for reply in replies {
                    let _ = reply.send(Err(same(&answer)));
                }
            }
        }
    }
}

/// The same answer again, for each caller of a failed batch.
fn same(answer: &LedgerError) -> LedgerError {
    match answer {
        LedgerError::Unavailable(reason) => LedgerError::Unavailable(reason.clone()),
        LedgerError::Refused(reason) => LedgerError::Refused(reason.clone()),
        LedgerError::BatchFailed(reason) => LedgerError::BatchFailed(reason.clone()),
        other => LedgerError::BatchFailed(other.to_string()),
    }
}
