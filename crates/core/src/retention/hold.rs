//! Legal holds: data that must not be disposed of although its period has run out (a dispute, an
//! audit, a request under investigation). A hold is on a whole dataset, on one rule, or on one
//! data subject, who is named only by the keyed hashes of their identifiers (as the request
//! desk's suppression list does). Each has an owner, a reason and an expiry; releasing one is
//! recorded beside it, never by removing it.

use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::privacy::RetentionRule;

/// What a hold keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum HoldScope {
    /// Every rule on the dataset, and the desk's erasure there.
    Dataset { dataset: String },
    /// One rule.
    Rule { rule: String },
    /// The rows of one data subject in every dataset: the keyed hashes of their identifiers,
    /// and the case that asked for the hold, if any.
    Subject {
        hashes: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        case_id: Option<String>,
    },
}

impl HoldScope {
    pub fn name(&self) -> &'static str {
        match self {
            HoldScope::Dataset { .. } => "dataset",
            HoldScope::Rule { .. } => "rule",
            HoldScope::Subject { .. } => "subject",
        }
    }

    /// What it holds, in words for a listing: the dataset, the rule, or the case.
    pub fn target(&self) -> String {
        match self {
            HoldScope::Dataset { dataset } => dataset.clone(),
            HoldScope::Rule { rule } => rule.clone(),
            HoldScope::Subject { case_id, hashes } => case_id
                .clone()
                .unwrap_or_else(|| format!("{} identifier(s)", hashes.len())),
        }
    }
}

/// One hold, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub id: String,
    pub scope: HoldScope,
    /// Who is responsible for it (a role or an account, e.g. "legal@example.no").
    pub owner: String,
    pub reason: String,
    pub created_ms: Millis,
    pub expires_ms: Millis,
    #[serde(default)]
    pub released_ms: Option<Millis>,
    #[serde(default)]
    pub released_by: Option<String>,
    /// When the owner was last reminded that the hold expires soon.
    #[serde(default)]
    pub reminded_ms: Option<Millis>,
}

impl Hold {
    /// Whether the hold keeps data at `now`: not released and not expired.
    pub fn active_at(&self, now: Millis) -> bool {
        self.released_ms.is_none() && now < self.expires_ms
    }

    /// Whether it stops `rule` from running at all (a dataset or rule hold).
    pub fn stops(&self, rule: &RetentionRule) -> bool {
        match &self.scope {
            HoldScope::Dataset { dataset } => *dataset == rule.dataset,
            HoldScope::Rule { rule: id } => *id == rule.id,
            HoldScope::Subject { .. } => false,
        }
    }

    /// The subject hashes it keeps, if it is a subject hold.
    pub fn subject_hashes(&self) -> &[String] {
        match &self.scope {
            HoldScope::Subject { hashes, .. } => hashes,
            HoldScope::Dataset { .. } | HoldScope::Rule { .. } => &[],
        }
    }
}

/// The text whose keyed hash names one identifier of a data subject: `kind:value`, the value
/// trimmed and an address lower-cased. The desk's suppression list, subject holds and the
/// retention engine's match of a row all hash this, so each finds the others' entries.
pub fn identifier_text(kind: &str, value: &str) -> String {
    let value = value.trim();
    if kind == "email" {
        format!("{kind}:{}", value.to_lowercase())
    } else {
        format!("{kind}:{value}")
    }
}
