//! The writer task behind a [`Ledger`](super::Ledger), with group commit. One task per chain
//! owns a dedicated connection, drains a queue of pending appends, seals up to `max_batch` of
//! them into the chain in order, writes them in ONE transaction, commits (fsync: SQLite
//! `synchronous=FULL` in WAL, PostgreSQL `synchronous_commit=on`), and only then answers each
//! caller with its receipt. A failed batch answers every caller with an error and reloads the
//! chain head from the database, so a receipt is never handed out for a record that is not on
//! disk.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use kapsel_core::Clock;
use kapsel_core::consent::chain::seal;
use kapsel_core::consent::{
    ConsentChoice, ConsentRecord, GENESIS_HASH, Lifetimes, Receipt, RecordContext,
};
use sqlx::Connection as _;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::LedgerStats;
use super::sql::{postgres, sqlite};
use crate::{LedgerError, Store, StoreError, backend};

/// One append waiting for its batch.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) id: String,
    pub(super) choice: ConsentChoice,
    pub(super) context: RecordContext,
    pub(super) lifetimes: Lifetimes,
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
}

impl Writer {
    pub(super) fn new(
        store: Store,
        chain_id: String,
        clock: Arc<dyn Clock>,
        stats: Arc<LedgerStats>,
    ) -> Writer {
        Writer {
            store,
            chain_id,
            clock,
            conn: None,
            head_seq: 0,
            head_hash: GENESIS_HASH.to_string(),
            stats,
        }
    }

    /// Opens the writer connection, takes the chain lock (PostgreSQL) and loads the head.
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
        let head = match &mut conn {
            WriterConn::Sqlite(conn) => sqlite::chain_head(conn, &self.chain_id).await?,
            WriterConn::Postgres(conn) => postgres::chain_head(conn, &self.chain_id).await?,
        };
        (self.head_seq, self.head_hash) = head.unwrap_or((0, GENESIS_HASH.to_string()));
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
            let first = tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                next = queue.recv() => match next {
                    Some(pending) => pending,
                    None => break,
                },
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

    /// Seals and commits `batch`, answering every caller; leaves `batch` empty.
    async fn commit(&mut self, batch: &mut Vec<Pending>) {
        if batch.is_empty() {
            return;
        }
        if self.conn.is_none()
            && let Err(err) = self.connect().await
        {
            tracing::error!(chain = %self.chain_id, error = %err, "ledger writer cannot reconnect");
            let reason = err.to_string();
            for pending in batch.drain(..) {
                let _ = pending
                    .reply
                    .send(Err(LedgerError::BatchFailed(reason.clone())));
            }
            return;
        }
        let now = self.clock.now_ms();
        let mut records = Vec::with_capacity(batch.len());
        let mut replies = Vec::with_capacity(batch.len());
        let mut prev_hash = self.head_hash.clone();
        for pending in batch.drain(..) {
            let expires_at_ms =
                match pending
                    .lifetimes
                    .expires_at(pending.choice.action, &pending.choice, now)
                {
                    Ok(at) => at,
                    Err(err) => {
                        let _ = pending.reply.send(Err(err.into()));
                        continue;
                    }
                };
            let mut record = ConsentRecord {
                id: pending.id,
                chain_id: self.chain_id.clone(),
                seq: 0,
                recorded_at_ms: now,
                expires_at_ms,
                choice: pending.choice,
                context: pending.context,
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
            replies.push(pending.reply);
        }
        let Some(last) = records.last() else { return };
        let (last_seq, last_hash) = (last.seq, last.hash.clone());
        // Reason: `commit_micros` is a metric of elapsed time, not a reading of the time of day.
        #[allow(clippy::disallowed_methods)]
        let started = std::time::Instant::now();
        let written = match self.conn.as_mut() {
            Some(WriterConn::Sqlite(conn)) => {
                sqlite::insert_batch(conn, &self.chain_id, now, &records).await
            }
            Some(WriterConn::Postgres(conn)) => {
                postgres::insert_batch_one_statement(conn, &self.chain_id, now, &records).await
            }
            None => Ok(()),
        };
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.stats
            .commit_micros
            .fetch_add(micros, Ordering::Relaxed);
        match written {
            Ok(()) => {
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
                tracing::error!(chain = %self.chain_id, error = %err, records = records.len(), "ledger batch failed");
                self.stats.failed_batches.fetch_add(1, Ordering::Relaxed);
                // The head in memory may be ahead of the database: reconnect and reload it.
                self.conn = None;
                let reason = err.to_string();
                for reply in replies {
                    let _ = reply.send(Err(LedgerError::BatchFailed(reason.clone())));
                }
            }
        }
    }
}
