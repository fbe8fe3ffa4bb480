//! The revision document: what a visitor's consent on one site depends on, as typed data, and
//! its one stored form. It is written when a revision is published (the store keeps its
//! canonical JSON, and the revision hash is computed over exactly those bytes) and read back to
//! diff kept revisions (the change log). One definition for both directions, so nothing a
//! revision covers is lost on the way back.
//!
//! What it holds for one site: languages, consent settings, all categories (with the implicit
//! `necessary`), the site's services with their cookies, purposes, justifications, providers
//! and transfers, the site's id, name and links, and the organisation's name. Durations are
//! normalised ("13 Months" and "13 months" are the same). Left out: hosts (scanner evidence),
//! domains, processing activities, notice sections, the file's `version` label, services'
//! `role` and `acknowledge` (they do not change what a visitor is asked).
//!
//! Changing a field here changes every site's revision, and so asks every visitor again: the
//! stored documents of the example and the publish fixtures are kept byte for byte in
//! `crates/publish/tests/fixtures/revision-documents/` to catch that.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::duration::Duration;
use super::model::{
    Category, ConsentModeType, ConsentSettings, Cookie, CookieAcknowledge, Party, PrivacyFile,
    Provider, Service, ServiceAcknowledge, SiteLinks, StorageKind, Transfer,
};
use super::revision::Revision;
use crate::text::{Lang, Text};

/// The consent-relevant projection of a privacy file for one site.
///
/// Reading is as lenient as the model: fields with a default in `kapsel.toml` may be missing,
/// and unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionDocument {
    pub languages: Vec<Lang>,
    /// The organisation's name.
    pub organisation: String,
    #[serde(default)]
    pub consent: RevisionConsent,
    /// All categories, `necessary` first.
    pub categories: Vec<Category>,
    pub site: RevisionSite,
    /// The site's services, in file order.
    pub services: Vec<RevisionService>,
}

/// The consent settings, durations normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionConsent {
    pub accept_duration: String,
    pub reject_duration: String,
    pub gpc_disables_marketing: bool,
    /// Stored only when true, so that documents written before the key existed (and files
    /// that leave it out) keep their bytes and their revision.
    #[serde(default, skip_serializing_if = "is_false")]
    pub dnt_as_gpc: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The site's id, name and links (not its domains).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionSite {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub links: SiteLinks,
}

/// A service as a visitor is told about it (not its hosts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionService {
    pub id: String,
    pub name: String,
    pub category: String,
    pub provider: Provider,
    pub purpose: Text,
    #[serde(default)]
    pub justification: Option<Text>,
    #[serde(default)]
    pub privacy_policy: Option<String>,
    #[serde(default)]
    pub transfers: Vec<Transfer>,
    #[serde(default)]
    pub consent_mode: Vec<ConsentModeType>,
    #[serde(default)]
    pub cookies: Vec<RevisionCookie>,
}

/// A cookie or storage key, its duration normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionCookie {
    pub name: String,
    #[serde(default)]
    pub prefix: bool,
    #[serde(default)]
    pub kind: StorageKind,
    #[serde(default)]
    pub party: Party,
    #[serde(default)]
    pub domain: Option<String>,
    pub duration: String,
    #[serde(default)]
    pub purpose: Option<Text>,
}

impl RevisionDocument {
    /// The document for `site_id`, or `None` when the file has no such site.
    pub fn of(file: &PrivacyFile, site_id: &str) -> Option<RevisionDocument> {
        let site = file.site(site_id)?;
        Some(RevisionDocument {
            languages: file.languages.clone(),
            organisation: file.organisation.name.clone(),
            consent: RevisionConsent::from(&file.consent),
            categories: file
                .categories_with_necessary()
                .into_iter()
                .map(|category| category.into_owned())
                .collect(),
            site: RevisionSite {
                id: site.id.clone(),
                name: site.name.clone(),
                links: site.links.clone(),
            },
            services: file
                .services_for_site(site_id)
                .into_iter()
                .map(RevisionService::from)
                .collect(),
        })
    }

    /// Reads a stored document back.
    pub fn from_json(json: &str) -> Result<RevisionDocument, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The stored form: canonical JSON, object keys sorted at every depth and no whitespace,
    /// whatever order the fields are declared in. The revision hash is computed over it.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut out = String::new();
        write_canonical(&serde_json::to_value(self)?, &mut out);
        Ok(out)
    }

    /// The revision: the hash of [`RevisionDocument::to_json`].
    pub fn revision(&self) -> Result<Revision, serde_json::Error> {
        Ok(Revision::of_canonical_json(&self.to_json()?))
    }
}

impl From<&ConsentSettings> for RevisionConsent {
    fn from(consent: &ConsentSettings) -> RevisionConsent {
        RevisionConsent {
            accept_duration: normalised(&consent.accept_duration),
            reject_duration: normalised(&consent.reject_duration),
            gpc_disables_marketing: consent.gpc_disables_marketing,
            dnt_as_gpc: consent.dnt_as_gpc,
        }
    }
}

impl From<RevisionConsent> for ConsentSettings {
    fn from(consent: RevisionConsent) -> ConsentSettings {
        ConsentSettings {
            accept_duration: consent.accept_duration,
            reject_duration: consent.reject_duration,
            gpc_disables_marketing: consent.gpc_disables_marketing,
            dnt_as_gpc: consent.dnt_as_gpc,
        }
    }
}

impl Default for RevisionConsent {
    /// The privacy file's defaults, for a document stored without consent settings.
    fn default() -> RevisionConsent {
        RevisionConsent::from(&ConsentSettings::default())
    }
}

impl From<&Service> for RevisionService {
    fn from(service: &Service) -> RevisionService {
        RevisionService {
            id: service.id.clone(),
            name: service.name.clone(),
            category: service.category.clone(),
            provider: service.provider.clone(),
            purpose: service.purpose.clone(),
            justification: service.justification.clone(),
            privacy_policy: service.privacy_policy.clone(),
            transfers: service.transfers.clone(),
            consent_mode: service.consent_mode.clone(),
            cookies: service.cookies.iter().map(RevisionCookie::from).collect(),
        }
    }
}

impl From<RevisionService> for Service {
    /// The service as the model holds it; hosts, the provider's role and acknowledgements are
    /// not part of a revision, so none.
    fn from(service: RevisionService) -> Service {
        Service {
            id: service.id,
            name: service.name,
            category: service.category,
            provider: service.provider,
            purpose: service.purpose,
            justification: service.justification,
            privacy_policy: service.privacy_policy,
            transfers: service.transfers,
            consent_mode: service.consent_mode,
            hosts: Vec::new(),
            cookies: service.cookies.into_iter().map(Cookie::from).collect(),
            role: None,
            acknowledge: ServiceAcknowledge::default(),
        }
    }
}

impl From<&Cookie> for RevisionCookie {
    fn from(cookie: &Cookie) -> RevisionCookie {
        RevisionCookie {
            name: cookie.name.clone(),
            prefix: cookie.prefix,
            kind: cookie.kind,
            party: cookie.party,
            domain: cookie.domain.clone(),
            duration: normalised(&cookie.duration),
            purpose: cookie.purpose.clone(),
        }
    }
}

impl From<RevisionCookie> for Cookie {
    fn from(cookie: RevisionCookie) -> Cookie {
        Cookie {
            name: cookie.name,
            prefix: cookie.prefix,
            kind: cookie.kind,
            party: cookie.party,
            domain: cookie.domain,
            duration: cookie.duration,
            purpose: cookie.purpose,
            acknowledge: CookieAcknowledge::default(),
        }
    }
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
    use serde_json::json;

    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value = json!({ "b": [{ "z": 1, "a": "x" }], "a": null });
        let mut out = String::new();
        write_canonical(&value, &mut out);
        assert_eq!(out, r#"{"a":null,"b":[{"a":"x","z":1}]}"#);
    }

    #[test]
    fn a_minimal_document_reads_with_the_file_defaults() {
        let json = r#"{"languages":["en"],"organisation":"Example AS","categories":[],
            "site":{"id":"www","name":"Example"},
            "services":[{"id":"a","name":"A","category":"analytics",
                "provider":{"name":"P","country":"NO"},"purpose":{"en":"p"},
                "cookies":[{"name":"_a","duration":"1 day"}]}]}"#;
        let document = RevisionDocument::from_json(json).unwrap();
        assert_eq!(document.consent, RevisionConsent::default());
        assert_eq!(document.consent.accept_duration, "12 months");
        let service = Service::from(document.services[0].clone());
        assert!(service.hosts.is_empty() && service.transfers.is_empty());
        assert_eq!(service.cookies[0].party, Party::First);
    }

    #[test]
    fn dnt_as_gpc_is_stored_only_when_set_and_then_changes_the_revision() {
        let json = r#"{"languages":["en"],"organisation":"Example AS","categories":[],
            "site":{"id":"www","name":"Example"},"services":[]}"#;
        let off = RevisionDocument::from_json(json).unwrap();
        assert!(!off.consent.dnt_as_gpc);
        let stored = off.to_json().unwrap();
        assert!(!stored.contains("dnt_as_gpc"), "{stored}");
        let mut on = off.clone();
        on.consent.dnt_as_gpc = true;
        let stored_on = on.to_json().unwrap();
        assert!(stored_on.contains(r#""dnt_as_gpc":true"#), "{stored_on}");
        assert_ne!(on.revision().unwrap(), off.revision().unwrap());
        assert_eq!(RevisionDocument::from_json(&stored_on).unwrap(), on);
    }

    #[test]
    fn the_stored_form_reads_back_to_the_same_document() {
        let json = r#"{"languages":["en"],"organisation":"Example AS",
            "consent":{"accept_duration":"6 months","reject_duration":"1 month","gpc_disables_marketing":false},
            "categories":[],"site":{"id":"www","name":"Example"},"services":[]}"#;
        let document = RevisionDocument::from_json(json).unwrap();
        let stored = document.to_json().unwrap();
        assert_eq!(RevisionDocument::from_json(&stored).unwrap(), document);
        assert!(stored.starts_with(r#"{"categories":[],"consent":{"accept_duration":"6 months","#));
        assert_eq!(
            document.revision().unwrap(),
            Revision::of_canonical_json(&stored)
        );
    }
}
