//! Where ingest commits events before it answers 2xx: one trait, two outboxes.
//!
//! - the store's (`kapsel_store::GateWriter`): group-committed into `gate_events` and
//!   `gate_deliveries` next to the ledger — the default, and all a single instance needs;
//! - NATS JetStream ([`crate::jetstream::JetStreamOutbox`]): for several instances sharing the
//!   work, selected with `[gate] outbox = "jetstream"`.
//!
//! Either way the decision trace, dead letters and replays live in the store.

use std::future::Future;
use std::pin::Pin;

use kapsel_store::{GateWriter, NewEvent};

/// Why events could not be committed; ingest answers 503 and the client retries.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OutboxError(pub String);

pub type Appended<'a> = Pin<Box<dyn Future<Output = Result<Vec<bool>, OutboxError>> + Send + 'a>>;

pub trait Outbox: Send + Sync {
    /// Commits `events` durably; for each, whether it was new (false: its messageId was seen).
    fn append(&self, events: Vec<NewEvent>) -> Appended<'_>;
}

impl Outbox for GateWriter {
    fn append(&self, events: Vec<NewEvent>) -> Appended<'_> {
        Box::pin(async move {
            GateWriter::append(self, events)
                .await
                .map_err(|e| OutboxError(e.to_string()))
        })
    }
}
