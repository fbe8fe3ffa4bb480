//! A site's revision: a fingerprint of everything a visitor's consent depends on, so that
//! visitors are asked again exactly when that changes — never because of a comment, a reordered
//! key or reformatting, and without a hand-kept version number.
//!
//! The revision is the first 8 bytes (16 lower-case hex digits) of SHA-256 over the site's
//! [`RevisionDocument`] in its stored form (canonical JSON: objects with sorted keys, no
//! whitespace). What the document holds, and what it leaves out, is said in
//! `privacy::revision_document`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::model::PrivacyFile;
use super::revision_document::RevisionDocument;

/// 16 lower-case hex digits identifying what a site's visitors consented to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Revision(String);

/// A string that is not 16 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a revision is 16 lower-case hex digits, not {0:?}")]
pub struct RevisionError(pub String);

impl Revision {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The revision of a document in its stored form ([`RevisionDocument::to_json`]).
    pub fn of_canonical_json(json: &str) -> Revision {
        let digest = Sha256::digest(json.as_bytes());
        Revision(hex::encode(digest.get(..8).unwrap_or_default()))
    }
}

impl FromStr for Revision {
    type Err = RevisionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid = s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if valid {
            Ok(Revision(s.to_owned()))
        } else {
            Err(RevisionError(s.to_owned()))
        }
    }
}

impl TryFrom<String> for Revision {
    type Error = RevisionError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Revision> for String {
    fn from(revision: Revision) -> String {
        revision.0
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The revision of `site_id`, or `None` when the file has no such site. (Serialising the
/// document cannot fail: it holds no map with non-string keys; were it to, this is `None` too.)
pub fn site_revision(file: &PrivacyFile, site_id: &str) -> Option<Revision> {
    RevisionDocument::of(file, site_id)?.revision().ok()
}

/// The revision document of `site_id` as a JSON value whose `to_string()` is the stored form
/// (read back from [`RevisionDocument::to_json`], so its keys are in canonical order whatever
/// map serde_json was built with). Kept for callers not yet moved to [`RevisionDocument::of`]
/// and [`RevisionDocument::to_json`].
pub fn consent_projection(file: &PrivacyFile, site_id: &str) -> Option<Value> {
    let stored = RevisionDocument::of(file, site_id)?.to_json().ok()?;
    serde_json::from_str(&stored).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_are_sixteen_lower_case_hex_digits() {
        assert!("0123456789abcdef".parse::<Revision>().is_ok());
        for bad in [
            "0123456789ABCDEF",
            "0123",
            "0123456789abcdefg",
            "g123456789abcdef",
        ] {
            assert!(bad.parse::<Revision>().is_err(), "{bad}");
        }
        let parsed: Revision = serde_json::from_str("\"00ff00ff00ff00ff\"").unwrap();
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            "\"00ff00ff00ff00ff\""
        );
        assert!(serde_json::from_str::<Revision>("\"nope\"").is_err());
    }
}
