//! Leases of background jobs: the [`Leases`] trait, implemented by [`Store`]. A job that must
//! run on one instance at a time (the desk's sweep now; retention rules and event delivery
//! next) takes its lease by name before each round and skips the round when another instance
//! holds it. Taking, renewing and taking over an expired lease are one conditional upsert, so
//! two instances racing for a lease never both get it. Time is the caller's (`now_ms` from the
//! injected clock).

mod sql;

use std::future::Future;

use kapsel_core::Millis;

use crate::backend::on_pool;
use crate::{Store, StoreError};

pub trait Leases: Send + Sync {
    /// Takes (or renews) lease `name` for `holder` until `now_ms + ttl_ms`, unless another
    /// holder's lease has not expired; whether `holder` holds it now.
    fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: Millis,
        ttl_ms: Millis,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Gives lease `name` up, if `holder` holds it.
    fn release_lease(
        &self,
        name: &str,
        holder: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl Leases for Store {
    async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: Millis,
        ttl_ms: Millis,
    ) -> Result<bool, StoreError> {
        on_pool!(
            self,
            sql::take(name, holder, now_ms, now_ms.saturating_add(ttl_ms))
        )
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        on_pool!(self, sql::release(name, holder))
    }
}
