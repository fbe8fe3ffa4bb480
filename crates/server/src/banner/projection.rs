//! The banner's view of a privacy file: for one site, exactly what its first layer needs inline
//! and nothing more — that site's categories (ids, labels, which are marketing) and services (id,
//! name, provider and category for gating and placeholders, Consent Mode types, the storage keys
//! to delete on withdrawal), the keys of services earlier revisions declared and this one no
//! longer does, texts in the file's languages, the revision, consent durations, links, the
//! consent API path and where the centre's details are. Serialized as the JSON object the script
//! receives inline. The details themselves (descriptions, purposes, cookies in words) are
//! `details`.

use std::collections::BTreeMap;

use kapsel_core::privacy::{
    Cookie, Duration, NECESSARY, Party, PrivacyFile, Service, Site, StorageKind,
};
use kapsel_core::text::Text;
use serde::Serialize;
use serde_json::{Map, Value};

use super::BannerError;

/// The banner's interface texts in every language Kapsel ships (nb, nn, en).
const UI_TEXTS: &str = include_str!("../../../../banner/src/texts.json");
/// Used for a file language Kapsel has no interface texts for.
const UI_FALLBACK_LANG: &str = "en";
/// Interface texts only the preference centre needs (`details`: the centre script carries them,
/// or the server writes them into its rows); every other key of texts.json goes inline.
pub const DETAIL_TEXT_KEYS: [&str; 12] = [
    "save",
    "download",
    "download_failed",
    "close",
    "always_on",
    "status",
    "intro",
    "services",
    "provider",
    "purpose",
    "policy",
    "rights",
];
/// Where the script posts choices, relative to the script's own URL.
pub const CONSENT_API_PATH: &str = "/v1/consent";
/// Where the script counts its first layer shown or ignored (`consent::views`).
pub const VIEWS_API_PATH: &str = "/v1/banner-views";
/// The only schemes a link from the privacy file may have in the banner.
const SAFE_SCHEMES: [&str; 3] = ["https", "http", "mailto"];

#[derive(Debug, Serialize)]
pub struct BannerConfig<'a> {
    pub site: &'a str,
    pub revision: &'a str,
    pub api: &'static str,
    /// Where the first layer's views are counted, relative to this script.
    pub views: &'static str,
    /// The preference centre's script, relative to this one (`&lang=` is added by the banner).
    pub details: String,
    /// The file's languages; the first is the default.
    pub langs: Vec<&'a str>,
    pub accept_ms: i64,
    pub reject_ms: i64,
    pub gpc: bool,
    /// Do Not Track counts as Global Privacy Control (`consent.dnt_as_gpc`).
    #[serde(skip_serializing_if = "is_false")]
    pub dnt: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cookie_domain: Option<&'a str>,
    pub links: Links,
    pub categories: Vec<CategoryView>,
    pub services: Vec<ServiceView<'a>>,
    /// Storage keys earlier revisions of the site declared and no current service does.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gone: Vec<String>,
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
    #[serde(skip_serializing_if = "is_false")]
    pub marketing: bool,
}

#[derive(Debug, Serialize)]
pub struct ServiceView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub category: &'a str,
    pub provider: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consent_mode: Vec<&'static str>,
    /// What to delete when the service is not allowed: see [`erase_key`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub erase: Vec<String>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// What the caller knows about the site besides the file.
#[derive(Debug, Clone, Copy)]
pub struct SiteFacts<'a> {
    pub revision: &'a str,
    /// The details' cache tag (see `details::DetailsSet::tag`).
    pub details_tag: &'a str,
    /// Storage keys of earlier revisions (see `earlier::gone_keys`).
    pub gone: &'a [String],
}

/// The banner configuration for `site`; with `only_lang`, texts in that one language only (the
/// `?lang=` variant of the script).
pub fn project<'a>(
    file: &'a PrivacyFile,
    site: &'a Site,
    facts: SiteFacts<'a>,
    only_lang: Option<&'a str>,
) -> Result<BannerConfig<'a>, BannerError> {
    let langs = langs_of(file, only_lang);
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
            marketing: category.marketing,
        })
        .collect();
    Ok(BannerConfig {
        site: &site.id,
        revision: facts.revision,
        api: CONSENT_API_PATH,
        views: VIEWS_API_PATH,
        details: format!(
            "/s/{}/centre.js?rev={}&v={}",
            site.id, facts.revision, facts.details_tag
        ),
        accept_ms: consent_millis("consent.accept_duration", &file.consent.accept_duration)?,
        reject_ms: consent_millis("consent.reject_duration", &file.consent.reject_duration)?,
        gpc: file.consent.gpc_disables_marketing,
        dnt: file.consent.dnt_as_gpc,
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
        services: services.into_iter().map(service_view).collect(),
        gone: facts.gone.to_vec(),
        texts: ui_texts(&langs, |key| {
            // A browser signal's note only where the file honours that signal.
            let consent = &file.consent;
            let unused = (key == "gpc" && !consent.gpc_disables_marketing)
                || (key == "dnt" && !(consent.gpc_disables_marketing && consent.dnt_as_gpc));
            !DETAIL_TEXT_KEYS.contains(&key) && !unused
        })?,
        langs,
    })
}

/// The languages a variant carries: all of the file's, or the one asked for.
pub fn langs_of<'a>(file: &'a PrivacyFile, only_lang: Option<&'a str>) -> Vec<&'a str> {
    match only_lang {
        Some(lang) => vec![lang],
        None => file.languages.iter().map(|lang| lang.as_str()).collect(),
    }
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

/// Whether a link from the privacy file may become clickable: an absolute `https:`, `http:` or
/// `mailto:` URL without whitespace or control characters (which browsers strip, turning
/// `java\tscript:` into `javascript:`). The script checks again when it renders.
pub fn is_safe_link(url: &str) -> bool {
    if url.is_empty() || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return false;
    }
    url.split_once(':').is_some_and(|(scheme, _)| {
        SAFE_SCHEMES
            .iter()
            .any(|safe| scheme.eq_ignore_ascii_case(safe))
    })
}

/// The site's own link per language when it is safe, else the page Kapsel generates
/// (`/sites/{site}/{page}?lang=`).
fn link(own: Option<&Text>, langs: &[&str], site: &str, page: &str) -> BTreeMap<String, String> {
    langs
        .iter()
        .map(|lang| {
            let url = own
                .and_then(|text| text.0.get(*lang))
                .filter(|url| is_safe_link(url))
                .cloned()
                .unwrap_or_else(|| format!("/sites/{site}/{page}?lang={lang}"));
            ((*lang).to_owned(), url)
        })
        .collect()
}

pub fn only_langs(text: &Text, langs: &[&str]) -> Text {
    Text(
        text.0
            .iter()
            .filter(|(lang, _)| langs.contains(&lang.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

fn service_view(service: &Service) -> ServiceView<'_> {
    ServiceView {
        id: &service.id,
        name: &service.name,
        category: &service.category,
        provider: &service.provider.name,
        consent_mode: service
            .consent_mode
            .iter()
            .map(|mode| mode.as_str())
            .collect(),
        erase: service.cookies.iter().filter_map(erase_key).collect(),
    }
}

/// How the script names something it can delete: a kind letter — `c` cookie, `l` localStorage,
/// `s` sessionStorage; upper case when the name is a prefix — followed by the name. `None` for
/// what no script on the site can delete: third-party cookies set on another domain, IndexedDB
/// databases and pixels.
pub fn erase_key(cookie: &Cookie) -> Option<String> {
    let kind = match cookie.kind {
        StorageKind::Cookie if cookie.party == Party::First || cookie.domain.is_none() => 'c',
        StorageKind::LocalStorage => 'l',
        StorageKind::SessionStorage => 's',
        StorageKind::Cookie | StorageKind::IndexedDb | StorageKind::Pixel => return None,
    };
    let kind = if cookie.prefix {
        kind.to_ascii_uppercase()
    } else {
        kind
    };
    Some(format!("{kind}{}", cookie.name))
}

/// Interface texts for `langs` whose key passes `keep`; a language Kapsel has no texts for gets
/// English.
pub fn ui_texts(
    langs: &[&str],
    keep: impl Fn(&str) -> bool,
) -> Result<Map<String, Value>, BannerError> {
    let all: Map<String, Value> = serde_json::from_str(UI_TEXTS).map_err(BannerError::Texts)?;
    let fallback = all.get(UI_FALLBACK_LANG).cloned().unwrap_or(Value::Null);
    Ok(langs
        .iter()
        .map(|lang| {
            let texts = match all.get(*lang).unwrap_or(&fallback) {
                Value::Object(texts) => Value::Object(
                    texts
                        .iter()
                        .filter(|(key, _)| keep(key))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
                other => other.clone(),
            };
            ((*lang).to_owned(), texts)
        })
        .collect())
}
