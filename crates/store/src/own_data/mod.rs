//! Kapsel's own data past its period: the [`OwnData`] trait, implemented by [`Store`]. The
//! retention engine calls it with cutoffs (`kapsel_jobs`' own-data periods) and records what it
//! removed in its disposal records; nothing here decides a period.
//!
//! - sent mail (its address, subject and body) — messages not yet sent, kept for
//!   `kapsel outbox` or dead are left, as someone still has to act on them;
//! - one-time and status links long past their expiry (only their hashes are kept anyway);
//! - the requester's address and identifiers in a case row once the case is closed: the case's
//!   history, which never holds them, stays as evidence.
//! - the body and subject hashes of a gate event once every destination is settled (forwarded
//!   or blocked; a dead letter keeps its event for a replay), and later the decision trace.

mod sql;

use std::future::Future;

use kapsel_core::Millis;

use crate::backend::on_pool;
use crate::{Store, StoreError};

pub trait OwnData: Send + Sync {
    /// Deletes sent messages created before `before_ms`; how many.
    fn delete_sent_mail(
        &self,
        before_ms: Millis,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes links that expired before `before_ms`; how many.
    fn delete_expired_links(
        &self,
        before_ms: Millis,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Empties the address and identifiers of closed cases (completed, refused, withdrawn,
    /// lapsed) last changed before `before_ms`; how many.
    fn scrub_closed_cases(
        &self,
        before_ms: Millis,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Empties the body and subject hashes of gate events received before `before_ms` whose
    /// deliveries are all forwarded or blocked; how many.
    fn empty_settled_events(
        &self,
        before_ms: Millis,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Deletes the settled decision trace of events received before `before_ms` (and events
    /// left without deliveries); how many trace rows.
    fn delete_gate_trace(
        &self,
        before_ms: Millis,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

impl OwnData for Store {
    async fn delete_sent_mail(&self, before_ms: Millis) -> Result<u64, StoreError> {
        on_pool!(self, sql::delete_sent_mail(before_ms))
    }

    async fn delete_expired_links(&self, before_ms: Millis) -> Result<u64, StoreError> {
        on_pool!(self, sql::delete_expired_links(before_ms))
    }

    async fn scrub_closed_cases(&self, before_ms: Millis) -> Result<u64, StoreError> {
        on_pool!(self, sql::scrub_closed_cases(before_ms))
    }

    async fn empty_settled_events(&self, before_ms: Millis) -> Result<u64, StoreError> {
        on_pool!(self, sql::empty_settled_events(before_ms))
    }

    async fn delete_gate_trace(&self, before_ms: Millis) -> Result<u64, StoreError> {
        on_pool!(self, sql::delete_gate_trace(before_ms))
    }
}
