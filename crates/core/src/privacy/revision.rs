//! A site's revision: a fingerprint of everything a visitor's consent depends on, so that
//! visitors are asked again exactly when that changes — never because of a comment, a reordered
//! key or reformatting, and without a hand-kept version number.
//!
//! The revision is the first 8 bytes (16 lower-case hex digits) of SHA-256 over a canonical JSON
//! serialisation (objects with sorted keys, no whitespace) of a projection of the file for one
//! site: languages, consent settings, all categories (with the implicit `necessary`), the site's
//! services with their cookies, purposes, justifications, providers and transfers, the site's
//! id, name and links, and the organisation's name. Durations are normalised ("13 Months" and
//! "13 months" are the same). Left out: hosts (scanner evidence), domains, processing
//! activities and notice sections (they do not change what a visitor is asked).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::duration::Duration;
use super::model::{Cookie, PrivacyFile, Service};

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

/// The revision of `site_id`, or `None` when the file has no such site.
pub fn site_revision(file: &PrivacyFile, site_id: &str) -> Option<Revision> {
    let projection = consent_projection(file, site_id)?;
    let mut canonical = String::new();
    write_canonical(&projection, &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    Some(Revision(hex::encode(digest.get(..8).unwrap_or_default())))
}

/// What a visitor's consent on `site_id` depends on, as JSON.
pub fn consent_projection(file: &PrivacyFile, site_id: &str) -> Option<Value> {
    let site = file.site(site_id)?;
    let services: Vec<Value> = file
        .services_for_site(site_id)
        .into_iter()
        .map(service)
        .collect();
    Some(json!({
        "languages": file.languages,
        "organisation": file.organisation.name,
        "consent": {
            "accept_duration": normalised(&file.consent.accept_duration),
            "reject_duration": normalised(&file.consent.reject_duration),
            "gpc_disables_marketing": file.consent.gpc_disables_marketing,
        },
        "categories": file.categories_with_necessary().iter().map(|c| c.as_ref()).collect::<Vec<_>>(),
        "site": { "id": site.id, "name": site.name, "links": site.links },
        "services": services,
    }))
}

fn service(service: &Service) -> Value {
    json!({
        "id": service.id,
        "name": service.name,
        "category": service.category,
        "provider": service.provider,
        "purpose": service.purpose,
        "justification": service.justification,
        "privacy_policy": service.privacy_policy,
        "transfers": service.transfers,
        "consent_mode": service.consent_mode,
        "cookies": service.cookies.iter().map(cookie).collect::<Vec<_>>(),
    })
}

fn cookie(cookie: &Cookie) -> Value {
    json!({
        "name": cookie.name,
        "prefix": cookie.prefix,
        "kind": cookie.kind,
        "party": cookie.party,
        "domain": cookie.domain,
        "duration": normalised(&cookie.duration),
        "purpose": cookie.purpose,
    })
}

/// The canonical spelling of a duration, or the text as written when it cannot be read.
fn normalised(duration: &str) -> String {
    Duration::parse(duration).map_or_else(|_| duration.to_owned(), |d| d.to_string())
}

/// JSON with object keys sorted and no whitespace, whatever map order serde_json was built with.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (position, (key, item)) in entries.into_iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
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

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value = json!({ "b": [{ "z": 1, "a": "x" }], "a": null });
        let mut out = String::new();
        write_canonical(&value, &mut out);
        assert_eq!(out, r#"{"a":null,"b":[{"a":"x","z":1}]}"#);
    }
}
