//! The suppression list of restriction (art. 18) and objection (art. 21): the
//! [`Suppressions`] trait, implemented by [`Store`]. Entries are keyed by a keyed hash of one
//! of the requester's identifiers (made by the caller with the desk's key, so the list holds
//! no identifier in the clear) and the activity concerned. The retention engine and the event
//! gate ask [`Suppressions::suppressed`] before they use a subject's data for an activity.
//! Suppressing again is a no-op, so a rerun after a crash adds nothing twice.

mod sql;

use std::future::Future;

use kapsel_core::Millis;

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// One entry of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// Hex keyed hash of one identifier of the subject.
    pub subject_hash: String,
    /// The `[[activities]]` id.
    pub activity: String,
    /// `restriction` or `objection`.
    pub kind: String,
    pub case_id: String,
    pub created_ms: Millis,
}

pub trait Suppressions: Send + Sync {
    /// Adds `entry` unless the same (subject, activity, kind) is listed; whether it was added.
    fn suppress(
        &self,
        entry: &Suppression,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The entries for any of `subject_hashes` and `activity`.
    fn suppressed(
        &self,
        subject_hashes: &[String],
        activity: &str,
    ) -> impl Future<Output = Result<Vec<Suppression>, StoreError>> + Send;

    /// Every entry a case made.
    fn suppressions_of_case(
        &self,
        case_id: &str,
    ) -> impl Future<Output = Result<Vec<Suppression>, StoreError>> + Send;
}

impl Suppressions for Store {
    async fn suppress(&self, entry: &Suppression) -> Result<bool, StoreError> {
        on_pool!(self, sql::insert(entry))
    }

    async fn suppressed(
        &self,
        subject_hashes: &[String],
        activity: &str,
    ) -> Result<Vec<Suppression>, StoreError> {
        let mut found = Vec::new();
        for hash in subject_hashes {
            found.extend(on_pool!(self, sql::for_subject(hash, activity))?);
        }
        Ok(found)
    }

    async fn suppressions_of_case(&self, case_id: &str) -> Result<Vec<Suppression>, StoreError> {
        on_pool!(self, sql::of_case(case_id))
    }
}
