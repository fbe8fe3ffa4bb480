//! The retention engine's evidence: the hash-chained disposal records of each rule
//! (`kapsel_core::retention::record`) and the legal holds (`kapsel_core::retention::hold`). The
//! [`Retention`] trait, implemented by [`Store`]. A record is sealed after its rule's head inside
//! one transaction, so two writers never fork a chain (the rule's lease keeps them apart in the
//! first place; the primary key refuses a second record with the same seq).

mod sql;

use std::future::Future;

use kapsel_core::Millis;
use kapsel_core::retention::hold::Hold;
use kapsel_core::retention::record::{DisposalRecord, NewDisposal};

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// Why a hold was not released.
#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    #[error("no hold {0}")]
    Unknown(String),
    #[error("hold {0} was already released")]
    Released(String),
    #[error("hold {0} already exists")]
    Exists(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub trait Retention: Send + Sync {
    /// Seals `new` as the next record of `rule` and keeps it.
    fn append_disposal(
        &self,
        rule: &str,
        new: NewDisposal,
    ) -> impl Future<Output = Result<DisposalRecord, StoreError>> + Send;

    /// Every record of `rule`, in seq order.
    fn disposals(
        &self,
        rule: &str,
    ) -> impl Future<Output = Result<Vec<DisposalRecord>, StoreError>> + Send;

    /// The last record of `rule`, if it has any.
    fn last_disposal(
        &self,
        rule: &str,
    ) -> impl Future<Output = Result<Option<DisposalRecord>, StoreError>> + Send;

    /// Every rule that has records, sorted.
    fn disposal_rules(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    fn add_hold(&self, hold: &Hold) -> impl Future<Output = Result<(), HoldError>> + Send;

    /// Every hold, released and expired ones too, the newest first.
    fn holds(&self) -> impl Future<Output = Result<Vec<Hold>, StoreError>> + Send;

    /// Records that `by` released hold `id` at `at_ms`.
    fn release_hold(
        &self,
        id: &str,
        by: &str,
        at_ms: Millis,
    ) -> impl Future<Output = Result<Hold, HoldError>> + Send;

    /// Records that the owner of hold `id` was reminded of its expiry at `at_ms`.
    fn mark_hold_reminded(
        &self,
        id: &str,
        at_ms: Millis,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl Retention for Store {
    async fn append_disposal(
        &self,
        rule: &str,
        new: NewDisposal,
    ) -> Result<DisposalRecord, StoreError> {
        on_pool!(self, sql::append(rule, new))
    }

    async fn disposals(&self, rule: &str) -> Result<Vec<DisposalRecord>, StoreError> {
        on_pool!(self, sql::records(rule, None))
    }

    async fn last_disposal(&self, rule: &str) -> Result<Option<DisposalRecord>, StoreError> {
        Ok(on_pool!(self, sql::records(rule, Some(1)))?.pop())
    }

    async fn disposal_rules(&self) -> Result<Vec<String>, StoreError> {
        on_pool!(self, sql::rules())
    }

    async fn add_hold(&self, hold: &Hold) -> Result<(), HoldError> {
        if on_pool!(self, sql::insert_hold(hold))? {
            Ok(())
        } else {
            Err(HoldError::Exists(hold.id.clone()))
        }
    }

    async fn holds(&self) -> Result<Vec<Hold>, StoreError> {
        on_pool!(self, sql::holds())
    }

    async fn release_hold(&self, id: &str, by: &str, at_ms: Millis) -> Result<Hold, HoldError> {
        if !on_pool!(self, sql::release(id, by, at_ms))? {
            let known = self.holds().await?.into_iter().any(|h| h.id == id);
            return Err(if known {
                HoldError::Released(id.to_owned())
            } else {
                HoldError::Unknown(id.to_owned())
            });
        }
        self.holds()
            .await?
            .into_iter()
            .find(|h| h.id == id)
            .ok_or_else(|| HoldError::Unknown(id.to_owned()))
    }

    async fn mark_hold_reminded(&self, id: &str, at_ms: Millis) -> Result<(), StoreError> {
        on_pool!(self, sql::reminded(id, at_ms))
    }
}
