//! The canonical text encoding of Kapsel's evidence, as a small builder: a version line, then
//! one `name=value\n` line per field in a fixed order. Strings are `<byte length>:<UTF-8
//! bytes>`, so no content can be mistaken for structure; integers are decimal; booleans
//! `true`/`false`; an absent optional string is `none` (a present one always starts with a
//! digit); a map is `name=<count>` followed by one `<key string>=<value>` line per entry in byte
//! order of the key. The consent ledger (`kapsel-consent-record/v1`, described in
//! `docs/ledger.md`) and the request desk's case history (`kapsel-case-event/v1`) are both
//! written with it, so an auditor needs one re-implementation for both.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// A canonical text under construction.
#[derive(Debug, Clone)]
pub struct CanonicalText(String);

impl CanonicalText {
    /// Starts a text with its version line (e.g. `kapsel-case-event/v1`).
    pub fn new(version: &str) -> CanonicalText {
        let mut out = String::with_capacity(256);
        out.push_str(version);
        out.push('\n');
        CanonicalText(out)
    }

    pub fn str(&mut self, name: &str, value: &str) -> &mut CanonicalText {
        self.0.push_str(name);
        self.0.push('=');
        self.string(value);
        self.0.push('\n');
        self
    }

    pub fn int(&mut self, name: &str, value: i64) -> &mut CanonicalText {
        let _ = writeln!(self.0, "{name}={value}");
        self
    }

    pub fn opt(&mut self, name: &str, value: Option<&str>) -> &mut CanonicalText {
        match value {
            Some(value) => self.str(name, value),
            None => {
                let _ = writeln!(self.0, "{name}=none");
                self
            }
        }
    }

    pub fn bool(&mut self, name: &str, value: bool) -> &mut CanonicalText {
        let _ = writeln!(self.0, "{name}={value}");
        self
    }

    /// A map of booleans: `<key string>=true|false` per entry.
    pub fn bool_map(&mut self, name: &str, map: &BTreeMap<String, bool>) -> &mut CanonicalText {
        let _ = writeln!(self.0, "{name}={}", map.len());
        for (key, value) in map {
            self.string(key);
            let _ = writeln!(self.0, "={value}");
        }
        self
    }

    pub fn str_map(&mut self, name: &str, map: &BTreeMap<String, String>) -> &mut CanonicalText {
        let _ = writeln!(self.0, "{name}={}", map.len());
        // BTreeMap<String, _> iterates in byte order of the keys, which is what the encoding asks.
        for (key, value) in map {
            self.string(key);
            self.0.push('=');
            self.string(value);
            self.0.push('\n');
        }
        self
    }

    fn string(&mut self, value: &str) {
        let _ = write!(self.0, "{}:{}", value.len(), value);
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// SHA-256 of the text, lower-case hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_written_as_the_ledger_writes_them() {
        let mut text = CanonicalText::new("v/1");
        text.str("a", "é=\n").int("n", -3).str_map(
            "m",
            &[
                ("b".to_string(), String::new()),
                ("a".to_string(), "x".to_string()),
            ]
            .into(),
        );
        assert_eq!(text.as_str(), "v/1\na=4:é=\n\nn=-3\nm=2\n1:a=1:x\n1:b=0:\n");
        assert_eq!(
            CanonicalText::new("").sha256_hex(),
            // SHA-256 of a single newline.
            "01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"
        );
    }
}
