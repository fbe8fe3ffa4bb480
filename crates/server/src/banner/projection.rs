//! The banner's view of a privacy file: for one site, exactly what its banner needs and nothing
//! more — that site's categories and services with their cookies, texts in the file's languages,
//! the revision, consent durations, links and the consent API path. Serialized as the JSON object
//! the script receives inline.

use std::collections::BTreeMap;

use kapsel_core::privacy::{
    Cookie, Duration, NECESSARY, Party, PrivacyFile, Safeguard, Service, Site, StorageKind,
};
use kapsel_core::text::Text;
use serde::Serialize;
use serde_json::{Map, Value};

use super::BannerError;

/// The banner's interface texts in every language Kapsel ships (nb, nn, en).
const UI_TEXTS: &str = include_str!("../../../../banner/src/texts.json");
/// Used for a file language Kapsel has no interface texts for.
const UI_FALLBACK_LANG: &str = "en";
/// Where the script posts choices, relative to the script's own URL.
pub const CONSENT_API_PATH: &str = "/v1/consent";

#[derive(Debug, Serialize)]
pub struct BannerConfig<'a> {
    pub site: &'a str,
    pub revision: &'a str,
    pub api: &'static str,
    /// The file's languages; the first is the default.
    pub langs: Vec<&'a str>,
    pub accept_ms: i64,
    pub reject_ms: i64,
    pub gpc: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookie_domain: Option<&'a str>,
    pub links: Links,
    pub categories: Vec<CategoryView>,
    pub services: Vec<ServiceView<'a>>,
    pub texts: Map<String, Value>,
}

#[derive(Debug, Serialize)]
pub struct Links {
    pub cookies: BTreeMap<String, String>,
    pub privacy: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
pub struct CategoryView {
    pub id: String,
    pub label: Text,
    pub description: Text,
    #[serde(skip_serializing_if = "is_false")]
    pub marketing: bool,
}

#[derive(Debug, Serialize)]
pub struct ServiceView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub category: &'a str,
    pub provider: &'a str,
    pub country: &'a str,
    pub purpose: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transfers: Vec<TransferView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consent_mode: Vec<&'static str>,
    pub cookies: Vec<CookieView<'a>>,
}

#[derive(Debug, Serialize)]
pub struct TransferView<'a> {
    pub country: &'a str,
    pub safeguard: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CookieView<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    pub prefix: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<&'a str>,
    /// Normalised: "session", "persistent" or "<count> <unit>" in English, turned into words in
    /// the visitor's language by the script.
    pub duration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Text>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The banner configuration for `site`, with its `revision` computed by the caller; with
/// `only_lang`, texts in that one language only (the `?lang=` variant of the script).
pub fn project<'a>(
    file: &'a PrivacyFile,
    site: &'a Site,
    revision: &'a str,
    only_lang: Option<&'a str>,
) -> Result<BannerConfig<'a>, BannerError> {
    let langs: Vec<&str> = match only_lang {
        Some(lang) => vec![lang],
        None => file.languages.iter().map(|lang| lang.as_str()).collect(),
    };
    let services = file.services_for_site(&site.id);
    let categories = file
        .categories_with_necessary()
        .into_iter()
        .filter(|category| {
            category.id == NECESSARY || services.iter().any(|s| s.category == category.id)
        })
        .map(|category| CategoryView {
            id: category.id.clone(),
            label: only_langs(&category.label, &langs),
            description: only_langs(&category.description, &langs),
            marketing: category.marketing,
        })
        .collect();
    Ok(BannerConfig {
        site: &site.id,
        revision,
        api: CONSENT_API_PATH,
        accept_ms: consent_millis("consent.accept_duration", &file.consent.accept_duration)?,
        reject_ms: consent_millis("consent.reject_duration", &file.consent.reject_duration)?,
        gpc: file.consent.gpc_disables_marketing,
        cookie_domain: site.cookie_domain.as_deref(),
        links: Links {
            cookies: link(
                site.links.cookie_declaration.as_ref(),
                &langs,
                &site.id,
                "cookies",
            ),
            privacy: link(
                site.links.privacy_notice.as_ref(),
                &langs,
                &site.id,
                "privacy",
            ),
        },
        categories,
        services: services
            .into_iter()
            .map(|service| service_view(service, &langs))
            .collect::<Result<_, _>>()?,
        texts: ui_texts(&langs)?,
        langs,
    })
}

fn consent_millis(field: &'static str, value: &str) -> Result<i64, BannerError> {
    Duration::parse(value)
        .ok()
        .and_then(Duration::to_millis)
        .ok_or_else(|| BannerError::Duration {
            field: field.to_owned(),
            value: value.to_owned(),
        })
}

/// The site's own link per language, else the page Kapsel generates (`/sites/{site}/{page}?lang=`).
fn link(own: Option<&Text>, langs: &[&str], site: &str, page: &str) -> BTreeMap<String, String> {
    langs
        .iter()
        .map(|lang| {
            let url = own
                .and_then(|text| text.0.get(*lang).cloned())
                .unwrap_or_else(|| format!("/sites/{site}/{page}?lang={lang}"));
            ((*lang).to_owned(), url)
        })
        .collect()
}

fn only_langs(text: &Text, langs: &[&str]) -> Text {
    Text(
        text.0
            .iter()
            .filter(|(lang, _)| langs.contains(&lang.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

fn service_view<'a>(service: &'a Service, langs: &[&str]) -> Result<ServiceView<'a>, BannerError> {
    Ok(ServiceView {
        id: &service.id,
        name: &service.name,
        category: &service.category,
        provider: &service.provider.name,
        country: &service.provider.country,
        purpose: only_langs(&service.purpose, langs),
        policy: service.privacy_policy.as_deref(),
        transfers: service
            .transfers
            .iter()
            .map(|transfer| TransferView {
                country: &transfer.country,
                safeguard: match transfer.safeguard {
                    Safeguard::Adequacy => "adequacy",
                    Safeguard::Sccs => "sccs",
                    Safeguard::Bcr => "bcr",
                    Safeguard::Other => "other",
                },
            })
            .collect(),
        consent_mode: service
            .consent_mode
            .iter()
            .map(|mode| mode.as_str())
            .collect(),
        cookies: service
            .cookies
            .iter()
            .map(|cookie| cookie_view(service, cookie, langs))
            .collect::<Result<_, _>>()?,
    })
}

fn cookie_view<'a>(
    service: &Service,
    cookie: &'a Cookie,
    langs: &[&str],
) -> Result<CookieView<'a>, BannerError> {
    let duration = Duration::parse(&cookie.duration).map_err(|_| BannerError::Duration {
        field: format!("services.{}.cookies.{}.duration", service.id, cookie.name),
        value: cookie.duration.clone(),
    })?;
    Ok(CookieView {
        name: &cookie.name,
        prefix: cookie.prefix,
        kind: match cookie.kind {
            StorageKind::Cookie => None,
            StorageKind::LocalStorage => Some("local_storage"),
            StorageKind::SessionStorage => Some("session_storage"),
            StorageKind::IndexedDb => Some("indexed_db"),
            StorageKind::Pixel => Some("pixel"),
        },
        party: match cookie.party {
            Party::First => None,
            Party::Third => Some("third"),
        },
        domain: cookie.domain.as_deref(),
        duration: duration.to_string(),
        purpose: cookie.purpose.as_ref().map(|text| only_langs(text, langs)),
    })
}

/// Interface texts for the file's languages only; a language Kapsel has no texts for gets English.
fn ui_texts(langs: &[&str]) -> Result<Map<String, Value>, BannerError> {
    let all: Map<String, Value> = serde_json::from_str(UI_TEXTS).map_err(BannerError::Texts)?;
    let fallback = all.get(UI_FALLBACK_LANG).cloned().unwrap_or(Value::Null);
    Ok(langs
        .iter()
        .map(|lang| {
            (
                (*lang).to_owned(),
                all.get(*lang).cloned().unwrap_or_else(|| fallback.clone()),
            )
        })
        .collect())
}
