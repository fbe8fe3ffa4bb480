//! Published site revisions: what a visitor was shown, kept for the change log and for "what
//! did the banner say on 3 March". The [`RevisionStore`] trait, implemented by [`Store`]; the
//! pages and the start-up publisher depend on it alone.

mod sql;

use std::future::Future;

use kapsel_core::Millis;

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// A revision as first published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedRevision {
    pub revision: String,
    pub first_published_ms: Millis,
    /// The consent-relevant document (JSON) the revision hash was computed over.
    pub document: String,
}

/// Keeping and listing the revisions each site published.
pub trait RevisionStore: Send + Sync {
    /// Records that `site` published `revision` at `at_ms`. Idempotent: publishing a known
    /// revision again keeps the first time and document. True when it was new.
    fn publish_revision(
        &self,
        site: &str,
        revision: &str,
        at_ms: Millis,
        document_json: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Whether `revision` was ever published for `site`.
    fn revision_known(
        &self,
        site: &str,
        revision: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Every revision of `site`, oldest first.
    fn revisions(
        &self,
        site: &str,
    ) -> impl Future<Output = Result<Vec<PublishedRevision>, StoreError>> + Send;
}

impl RevisionStore for Store {
    async fn publish_revision(
        &self,
        site: &str,
        revision: &str,
        at_ms: Millis,
        document_json: &str,
    ) -> Result<bool, StoreError> {
        on_pool!(
            self,
            sql::publish_revision(site, revision, at_ms, document_json)
        )
    }

    async fn revision_known(&self, site: &str, revision: &str) -> Result<bool, StoreError> {
        on_pool!(self, sql::revision_known(site, revision))
    }

    async fn revisions(&self, site: &str) -> Result<Vec<PublishedRevision>, StoreError> {
        on_pool!(self, sql::revisions(site))
    }
}
