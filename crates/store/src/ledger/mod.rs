//! The consent ledger: append-only and hash-chained per writer chain (see `docs/ledger.md`),
//! split by what a consumer does with it, each with its own trait:
//!
//! - [`write`]: [`LedgerAppend`], implemented by the group-commit [`Ledger`];
//! - [`read`]: [`LedgerRead`] (records, lineages, exports), implemented by [`Store`](crate::Store);
//! - [`verify`]: [`LedgerVerify`] (walk and verify chains), implemented by [`Store`](crate::Store);
//! - [`prune`]: [`LedgerPrune`] (remove a no-longer-needed prefix, sealed), implemented by
//!   [`Store`](crate::Store).
//!
//! - [`counts`]: [`ConsentCounts`] (per-day counters the writer keeps), implemented by
//!   [`Store`](crate::Store).
//!
//! `records` holds what they share: the `consent_records` columns and row mapping.

pub mod counts;
pub mod prune;
pub mod read;
mod records;
pub mod verify;
pub mod write;

pub use counts::{ChoiceCount, ConsentCounts, CountFilter, DayCount};
pub use prune::{
    LedgerPrune, PruneCandidate, PrunePlan, PrunePrefix, PruneStop, SealRefused, StoredSeal,
};
pub use read::{ExportFilter, LedgerRead, PreviousReceipt};
pub use verify::{ChainVerdict, LedgerVerify};
pub use write::{
    AppendRequest, ChainHeadMismatch, Ledger, LedgerAppend, LedgerOptions, LedgerStats,
    RETRY_AFTER_S, WriterHealth,
};
