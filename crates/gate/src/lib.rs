//! Kapsel's consent gate, delivery side: the destinations of the privacy file as [`Route`]s
//! (adapter, allow-list, categories), and the worker per destination that takes due events
//! from the store's outbox, judges each against the consent ledger *at delivery*, forwards what
//! may go and records every decision in the trace. The ingest (HTTP, Segment's API) is the
//! server's; what an event is and how it is judged is core's (`kapsel_core::gate`).

pub mod adapter;
pub mod deliver;
pub mod jetstream;
mod judge;
pub mod outbox;
pub mod routes;

pub use deliver::{Context, DeliveryOptions, run_worker};
pub use jetstream::JetStreamOutbox;
pub use outbox::{Outbox, OutboxError};
pub use routes::{Endpoint, Gate, GateError, Route, idempotency_key};
