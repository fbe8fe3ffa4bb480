//! Group commit for ingest: one task drains the queue of pending appends, writes up to
//! [`MAX_GROUP_EVENTS`] events of many requests in ONE transaction, commits (fsync: SQLite
//! `synchronous=FULL`, PostgreSQL `synchronous_commit=on`), and only then answers each request.
//! A failed transaction answers every request in it with the error, so ingest never says 2xx
//! for an event that is not on disk.

use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::NewEvent;
use super::sql::{postgres, sqlite};
use crate::{Store, StoreError};

/// Most events in one transaction.
pub const MAX_GROUP_EVENTS: usize = 4096;
/// Requests waiting for the writer before senders wait too.
const QUEUE: usize = 1024;

struct Pending {
    events: Vec<NewEvent>,
    reply: oneshot::Sender<Result<Vec<bool>, StoreError>>,
}

/// The handle ingest appends through; cheap to clone.
#[derive(Clone)]
pub struct GateWriter {
    queue: mpsc::Sender<Pending>,
}

impl std::fmt::Debug for GateWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GateWriter")
    }
}

impl GateWriter {
    /// Starts the writer task on `store`; it commits what is queued and ends on `shutdown`.
    pub fn start(store: Store, shutdown: CancellationToken) -> GateWriter {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, receiver, shutdown));
        GateWriter { queue }
    }

    /// Commits `events` with their pending deliveries; for each, whether it was new (false:
    /// its `messageId` was seen before for its site, and nothing was queued again).
    pub async fn append(&self, events: Vec<NewEvent>) -> Result<Vec<bool>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { events, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the gate's writer has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the gate's writer has stopped".to_owned()))?
    }
}

async fn run(store: Store, mut queue: mpsc::Receiver<Pending>, shutdown: CancellationToken) {
    let mut group: Vec<Pending> = Vec::new();
    loop {
        let first = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            next = queue.recv() => match next {
                Some(pending) => pending,
                None => break,
            },
        };
        let mut events = first.events.len();
        group.push(first);
        while events < MAX_GROUP_EVENTS {
            match queue.try_recv() {
                Ok(pending) => {
                    events += pending.events.len();
                    group.push(pending);
                }
                Err(_) => break,
            }
        }
        commit(&store, &mut group).await;
    }
    // Shutting down: refuse new appends, commit what is already queued.
    queue.close();
    while let Some(pending) = queue.recv().await {
        group.push(pending);
    }
    commit(&store, &mut group).await;
}

async fn commit(store: &Store, group: &mut Vec<Pending>) {
    if group.is_empty() {
        return;
    }
    let result = match store {
        Store::Sqlite(pool) => write_sqlite(pool, group).await,
        Store::Postgres(pool) => write_postgres(pool, group).await,
    };
    match result {
        Ok(answers) => {
            for (pending, answer) in group.drain(..).zip(answers) {
                let _ = pending.reply.send(Ok(answer));
            }
        }
        Err(err) => {
            tracing::error!(error = %err, requests = group.len(), "cannot commit gate events");
            for pending in group.drain(..) {
                let _ = pending.reply.send(Err(StoreError::Unavailable(format!(
                    "the events were not stored: {err}"
                ))));
            }
        }
    }
}

macro_rules! write_group {
    ($name:ident, $pool:ty, $sql:ident) => {
        async fn $name(pool: &$pool, group: &[Pending]) -> Result<Vec<Vec<bool>>, StoreError> {
            let mut tx = pool.begin().await?;
            let mut answers = Vec::with_capacity(group.len());
            for pending in group {
                answers.push($sql::append(&mut tx, &pending.events).await?);
            }
            tx.commit().await?;
            Ok(answers)
        }
    };
}

write_group!(write_sqlite, sqlx::SqlitePool, sqlite);
write_group!(write_postgres, sqlx::PgPool, postgres);
