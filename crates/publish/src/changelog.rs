//! The change log of one site: every published revision, newest first, with what changed for
//! visitors since the revision before it, as data and as sentences in one language.

use serde::Serialize;

use kapsel_core::privacy::PrivacyFile;
use kapsel_core::{Lang, Millis};

use crate::PublishError;
use crate::changes::{Change, diff};
use crate::words::{date_in_words, iso_date};

/// One revision as the change log reads it: its hash, when it was first published, and the
/// privacy file it describes (read back from the stored document by `file_from_projection`).
/// The store's own row is `kapsel_store::PublishedRevision`.
#[derive(Debug, Clone)]
pub struct ChangeLogRevision {
    pub revision: String,
    pub published_ms: Millis,
    pub file: PrivacyFile,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeLog {
    pub site_id: String,
    pub site_name: String,
    pub lang: String,
    /// Newest first.
    pub revisions: Vec<ChangeLogEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeLogEntry {
    pub revision: String,
    pub published: String,
    pub published_iso: String,
    /// The first revision ever published: nothing to compare with.
    pub first: bool,
    pub changes: Vec<Change>,
    pub sentences: Vec<String>,
}

/// Builds the change log of `site_id` from `revisions` in the order they were published.
/// `current` names the site (and is checked for the language) even when nothing is published.
pub fn change_log(
    current: &PrivacyFile,
    revisions: &[ChangeLogRevision],
    site_id: &str,
    lang: &Lang,
) -> Result<ChangeLog, PublishError> {
    let site = current
        .site(site_id)
        .ok_or_else(|| PublishError::UnknownSite(site_id.to_owned()))?;
    crate::check_lang(current, lang)?;
    let mut entries: Vec<ChangeLogEntry> = Vec::with_capacity(revisions.len());
    let mut previous: Option<&PrivacyFile> = None;
    for revision in revisions {
        let changes = previous.map_or_else(Vec::new, |old| diff(old, &revision.file, site_id));
        entries.push(ChangeLogEntry {
            revision: revision.revision.clone(),
            published: date_in_words(revision.published_ms, lang),
            published_iso: iso_date(revision.published_ms),
            first: previous.is_none(),
            sentences: changes.iter().map(|c| c.sentence(lang)).collect(),
            changes,
        });
        previous = Some(&revision.file);
    }
    entries.reverse();
    Ok(ChangeLog {
        site_id: site.id.clone(),
        site_name: site.name.clone(),
        lang: lang.to_string(),
        revisions: entries,
    })
}
