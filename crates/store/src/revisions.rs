//! Published site revisions: what a visitor was shown, kept for the change log and for "what
//! did the banner say on 3 March".

use kapsel_core::Millis;

use crate::queries::{postgres, sqlite};
use crate::{Store, StoreError};

/// A revision as first published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedRevision {
    pub revision: String,
    pub first_published_ms: Millis,
    /// The consent-relevant document (JSON) the revision hash was computed over.
    pub document: String,
}

impl Store {
    /// Records that `site` published `revision` at `at_ms`. Idempotent: publishing a known
    /// revision again keeps the first time and document. True when it was new.
    pub async fn publish_revision(
        &self,
        site: &str,
        revision: &str,
        at_ms: Millis,
        document_json: &str,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(pool) => {
                sqlite::publish_revision(pool, site, revision, at_ms, document_json).await
            }
            Store::Postgres(pool) => {
                postgres::publish_revision(pool, site, revision, at_ms, document_json).await
            }
        }
    }

    /// Whether `revision` was ever published for `site`.
    pub async fn revision_known(&self, site: &str, revision: &str) -> Result<bool, StoreError> {
        match self {
            Store::Sqlite(pool) => sqlite::revision_known(pool, site, revision).await,
            Store::Postgres(pool) => postgres::revision_known(pool, site, revision).await,
        }
    }

    /// Every revision of `site`, oldest first.
    pub async fn revisions(&self, site: &str) -> Result<Vec<PublishedRevision>, StoreError> {
        match self {
            Store::Sqlite(pool) => sqlite::revisions(pool, site).await,
            Store::Postgres(pool) => postgres::revisions(pool, site).await,
        }
    }
}
