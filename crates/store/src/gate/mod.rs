//! The consent gate's events in the store: the outbox an event is committed to before ingest
//! answers 2xx, the delivery queue per destination, and the decision trace. The [`GateEvents`]
//! trait is implemented by [`Store`]; appends go through the group-committing
//! [`GateWriter`](writer::GateWriter).
//!
//! A row of `gate_deliveries` is the queue entry of one event for one destination while it is
//! pending or failed, and that event's decision trace once settled (forwarded, blocked and why,
//! dead and why). Settling is one conditional `UPDATE … WHERE state IN ('pending', 'failed')`,
//! so a settled row never moves again except by an explicit replay of a dead letter.

mod sql;
pub mod writer;

use std::future::Future;

use kapsel_core::Millis;

use crate::backend::on_pool;
use crate::{Store, StoreError};

pub use writer::GateWriter;

/// An event as ingest commits it, with the destinations it is queued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub site: String,
    pub message_id: String,
    /// `track`, `page`, …
    pub kind: String,
    pub received_ms: Millis,
    pub receipt: Option<String>,
    /// Categories granted by trusted client preferences.
    pub consent: Option<Vec<String>>,
    /// Keyed hashes of the subject's identifiers.
    pub subjects: Vec<String>,
    /// The minimised message, as JSON.
    pub body: String,
    pub destinations: Vec<String>,
}

/// One event due for one destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEvent {
    pub site: String,
    pub message_id: String,
    pub kind: String,
    pub received_ms: Millis,
    pub receipt: Option<String>,
    pub consent: Option<Vec<String>>,
    pub subjects: Vec<String>,
    pub body: String,
    /// Attempts so far.
    pub attempts: i64,
}

/// How one delivery ended this round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settle {
    Forwarded,
    Blocked {
        reason: String,
    },
    /// Tried and failed; tried again at `next_ms`.
    Failed {
        error: String,
        next_ms: Millis,
    },
    /// Failed for the last time.
    Dead {
        error: String,
    },
}

impl Settle {
    fn state(&self) -> DeliveryState {
        match self {
            Settle::Forwarded => DeliveryState::Forwarded,
            Settle::Blocked { .. } => DeliveryState::Blocked,
            Settle::Failed { .. } => DeliveryState::Failed,
            Settle::Dead { .. } => DeliveryState::Dead,
        }
    }
}

/// A delivery's state, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeliveryState {
    Pending,
    Failed,
    Forwarded,
    Blocked,
    Dead,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 5] = [
        DeliveryState::Pending,
        DeliveryState::Failed,
        DeliveryState::Forwarded,
        DeliveryState::Blocked,
        DeliveryState::Dead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Failed => "failed",
            DeliveryState::Forwarded => "forwarded",
            DeliveryState::Blocked => "blocked",
            DeliveryState::Dead => "dead",
        }
    }
}

impl std::str::FromStr for DeliveryState {
    type Err = String;
    fn from_str(text: &str) -> Result<DeliveryState, String> {
        DeliveryState::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("unknown delivery state `{text}`"))
    }
}

/// One row of the decision trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub site: String,
    pub message_id: String,
    pub destination: String,
    pub state: DeliveryState,
    pub reason: Option<String>,
    pub attempts: i64,
    pub received_ms: Millis,
    pub decided_ms: Option<Millis>,
    pub receipt: Option<String>,
    /// `track`, `page`, …
    pub kind: String,
}

/// Which part of the trace to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceQuery {
    /// Every delivery of the events that named this receipt.
    Receipt(String),
    /// Deliveries of events received in `[from_ms, to_ms)`.
    Between { from_ms: Millis, to_ms: Millis },
    /// Dead letters, oldest first.
    Dead,
}

pub trait GateEvents: Send + Sync {
    /// Up to `limit` events due for `destination` at `now_ms`, soonest first.
    fn due(
        &self,
        destination: &str,
        now_ms: Millis,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<DueEvent>, StoreError>> + Send;

    /// Records how each delivery of `destination` ended, in one transaction; how many rows
    /// moved (a row settled meanwhile is left alone).
    fn settle(
        &self,
        destination: &str,
        outcomes: &[(String, String, Settle)],
        now_ms: Millis,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Records how deliveries of `destination` ended when the events were queued elsewhere
    /// (JetStream): each event's row is added if missing — with its body only when dead, for a
    /// replay — and its delivery row written or updated, in one transaction.
    fn record(
        &self,
        destination: &str,
        records: &[(NewEvent, Settle)],
        now_ms: Millis,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The trace, at most `limit` rows, in order of receipt.
    fn trace(
        &self,
        query: &TraceQuery,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Delivery>, StoreError>> + Send;

    /// Queues a dead letter again (attempts from zero, due at `now_ms`); whether it was dead
    /// and its event still has a body.
    fn replay(
        &self,
        site: &str,
        message_id: &str,
        destination: &str,
        now_ms: Millis,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Deliveries per destination and state.
    fn delivery_counts(
        &self,
    ) -> impl Future<Output = Result<Vec<(String, DeliveryState, i64)>, StoreError>> + Send;
}

impl GateEvents for Store {
    async fn due(
        &self,
        destination: &str,
        now_ms: Millis,
        limit: i64,
    ) -> Result<Vec<DueEvent>, StoreError> {
        on_pool!(self, sql::due(destination, now_ms, limit))
    }

    async fn settle(
        &self,
        destination: &str,
        outcomes: &[(String, String, Settle)],
        now_ms: Millis,
    ) -> Result<u64, StoreError> {
        on_pool!(self, sql::settle(destination, outcomes, now_ms))
    }

    async fn record(
        &self,
        destination: &str,
        records: &[(NewEvent, Settle)],
        now_ms: Millis,
    ) -> Result<(), StoreError> {
        on_pool!(self, sql::record(destination, records, now_ms))
    }

    async fn trace(&self, query: &TraceQuery, limit: i64) -> Result<Vec<Delivery>, StoreError> {
        on_pool!(self, sql::trace(query, limit))
    }

    async fn replay(
        &self,
        site: &str,
        message_id: &str,
        destination: &str,
        now_ms: Millis,
    ) -> Result<bool, StoreError> {
        on_pool!(self, sql::replay(site, message_id, destination, now_ms))
    }

    async fn delivery_counts(&self) -> Result<Vec<(String, DeliveryState, i64)>, StoreError> {
        on_pool!(self, sql::counts())
    }
}
