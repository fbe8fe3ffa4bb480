//! The consent gate for events: what the server may do with an analytics or ad event before it
//! leaves for a destination. Pure functions only; the ingest (server), the queue (store, NATS)
//! and the delivery (crates/gate) call in.
//!
//! - [`message`] reads one Segment-shaped message and refuses what must not be stored: a wrong
//!   shape, an oversize or too deeply nested body, markup or control characters in names.
//! - [`minimise`] cuts a message at the edge: the address to its prefix, the user agent to its
//!   family, and every field no destination's allow-list names.
//! - [`decide`] judges one event for one destination from the consent it carries.

pub mod decide;
pub mod message;
pub mod minimise;

pub use decide::{Basis, Blocked, Decision, ReceiptView, decide};
pub use message::{Message, MessageError, MessageType};
