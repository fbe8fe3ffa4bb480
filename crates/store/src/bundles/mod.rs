//! The access bundles of access and portability cases: the [`Bundles`] trait, implemented by
//! [`Store`]. A bundle is kept whole (it is small: one requester's rows) until it expires; the
//! server's sweep deletes expired ones. Putting a bundle again for the same case replaces it
//! (a rerun after a crash), so a case has at most one.

mod sql;

use std::future::Future;

use kapsel_core::Millis;

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// A kept bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBundle {
    pub case_id: String,
    /// Hex SHA-256 of `bytes`, as recorded in the case's history.
    pub sha256: String,
    pub bytes: Vec<u8>,
    pub created_ms: Millis,
    pub expires_ms: Millis,
}

pub trait Bundles: Send + Sync {
    /// Keeps `bundle`, replacing any earlier bundle of its case.
    fn put_bundle(
        &self,
        bundle: &StoredBundle,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The case's bundle, if one is kept and has not expired at `now_ms`.
    fn bundle(
        &self,
        case_id: &str,
        now_ms: Millis,
    ) -> impl Future<Output = Result<Option<StoredBundle>, StoreError>> + Send;

    /// Deletes every bundle that expired at or before `now_ms`; how many.
    fn delete_expired_bundles(
        &self,
        now_ms: Millis,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

impl Bundles for Store {
    async fn put_bundle(&self, bundle: &StoredBundle) -> Result<(), StoreError> {
        on_pool!(self, sql::put(bundle))
    }

    async fn bundle(
        &self,
        case_id: &str,
        now_ms: Millis,
    ) -> Result<Option<StoredBundle>, StoreError> {
        on_pool!(self, sql::get(case_id, now_ms))
    }

    async fn delete_expired_bundles(&self, now_ms: Millis) -> Result<u64, StoreError> {
        on_pool!(self, sql::delete_expired(now_ms))
    }
}
