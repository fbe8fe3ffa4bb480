//! Languages and texts given per language. Every text a visitor reads is declared in each of the
//! privacy file's languages; lookups fall back along the file's language order.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A language tag as used in the privacy file: `nb`, `nn`, `en`, …  (lower-case BCP 47 primary tag).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Lang(pub String);

impl Lang {
    pub fn new(tag: &str) -> Self {
        Lang(tag.to_ascii_lowercase())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A text in several languages: `{ nb = "…", nn = "…", en = "…" }` in the privacy file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(pub BTreeMap<String, String>);

impl Text {
    /// The text in `lang`, else in the first of `fallbacks` that has it.
    pub fn get<'a>(&'a self, lang: &Lang, fallbacks: &[Lang]) -> Option<&'a str> {
        self.0
            .get(lang.as_str())
            .or_else(|| fallbacks.iter().find_map(|l| self.0.get(l.as_str())))
            .map(String::as_str)
    }

    /// Languages among `required` that this text lacks (or has only blank).
    pub fn missing<'a>(&self, required: &'a [Lang]) -> Vec<&'a Lang> {
        required
            .iter()
            .filter(|l| self.0.get(l.as_str()).is_none_or(|s| s.trim().is_empty()))
            .collect()
    }
}
