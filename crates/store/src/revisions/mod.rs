//! Published site revisions: what a visitor was shown, kept for the change log and for "what
//! did the banner say on 3 March". The [`RevisionStore`] trait, implemented by [`Store`]; the
//! pages and the start-up publisher depend on it alone. As evidence, each kept document must
//! still hash to its revision id (a replaced document is named by `verify_revisions`), and every
//! revision a record was made under must have its document.

mod sql;

use std::future::Future;

use kapsel_core::Millis;
use kapsel_core::privacy::Revision;

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

/// Something wrong with the kept revisions, as `kapsel ledger verify` reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevisionProblem {
    /// The document kept for `site`/`revision` no longer hashes to `revision`.
    #[error(
        "revision {site}/{revision}: the kept document hashes to {computed}, not to its \
         revision: the document was replaced"
    )]
    Replaced {
        site: String,
        revision: String,
        computed: String,
    },
    /// `records` records were made under `site`/`revision`, whose document is missing.
    #[error(
        "revision {site}/{revision}: {records} record(s) were made under it, but its published \
         document is missing: the row was deleted"
    )]
    Missing {
        site: String,
        revision: String,
        records: i64,
    },
}

/// The outcome of checking every kept revision.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RevisionsVerdict {
    /// How many kept documents were checked.
    pub documents: u64,
    pub problems: Vec<RevisionProblem>,
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

    /// Checks that every kept document hashes to its revision id
    /// (`Revision::of_canonical_json`) and that every revision records name is kept.
    fn verify_revisions(&self)
    -> impl Future<Output = Result<RevisionsVerdict, StoreError>> + Send;
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

    async fn verify_revisions(&self) -> Result<RevisionsVerdict, StoreError> {
        let mut verdict = RevisionsVerdict::default();
        for (site, published) in on_pool!(self, sql::all_revisions())? {
            verdict.documents += 1;
            let computed = Revision::of_canonical_json(&published.document);
            if computed.as_str() != published.revision {
                verdict.problems.push(RevisionProblem::Replaced {
                    site,
                    revision: published.revision,
                    computed: computed.as_str().to_owned(),
                });
            }
        }
        for (site, revision, records) in on_pool!(self, sql::unkept_revisions())? {
            verdict.problems.push(RevisionProblem::Missing {
                site,
                revision,
                records,
            });
        }
        Ok(verdict)
    }
}
