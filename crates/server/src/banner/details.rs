//! The preference centre, loaded only when a visitor opens it:
//! `GET /s/{site}/centre.js?rev={revision}&v={tag}&lang={lang}` — the centre's code
//! (`banner/src/centre.js`) with the site's details in one language filled in: the centre's
//! styles and texts; per category its description; per service label/value rows (provider and
//! its country, purpose, transfers outside the EEA), its provider's privacy policy and its
//! cookies in words, with the documents' own words for countries, safeguards, durations, kinds
//! and parties (`kapsel_publish::words`, `safeguard_label`), so banner and documents say the
//! same; and the path of the site's privacy centre, which the centre links (as the notice and
//! the declaration do) on the Kapsel host the script came from. A script, not JSON: the page loads it with a script tag from the Kapsel host like the
//! banner itself, so no CORS is involved, and the first layer does not carry the centre's code.
//!
//! Built and compressed once at start for the current revision of each site in each language.
//! The URL names the revision and a tag over the bytes, so a response to the current revision
//! and tag is cached as immutable; anything else the banner could ask is answered with a short
//! cache, or 404 for a revision that is not the current one.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kapsel_core::Lang;
use kapsel_core::privacy::{
    Cookie, Duration, NECESSARY, Party, PrivacyFile, Service, Site, StorageKind,
};
use kapsel_core::text::Text;
use kapsel_publish::declaration::safeguard_label;
use kapsel_publish::render::rights_path;
use kapsel_publish::words::{country_name, duration_in_words, label};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::projection::{DETAIL_TEXT_KEYS, is_safe_link, ui_texts};
use super::{BannerError, BannerScripts, PreparedScript, prepare, respond};
use crate::error::ApiError;

const CENTRE_SCRIPT: &str = include_str!("../../../../banner/dist/centre.min.js");
/// The centre's styles (the banner's own do not carry them).
const CENTRE_STYLE: &str = include_str!("../../../../banner/dist/centre.min.css");
/// Where the centre script takes its details: replaced by JSON at start.
const DETAILS_PLACEHOLDER: &str = "KAPSEL_DETAILS";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const SHORT: &str = "public, max-age=300";

/// One site's details in each of the file's languages.
#[derive(Debug)]
pub struct DetailsSet {
    revision: String,
    /// A hash over every language's bytes: changes with the revision and with Kapsel's words.
    pub tag: String,
    by_lang: HashMap<String, PreparedScript>,
    default_lang: String,
}

#[derive(Debug, Serialize)]
struct Details {
    css: &'static str,
    /// The centre's own interface texts (`projection::DETAIL_TEXT_KEYS`) in this language.
    texts: Value,
    /// Category id → description.
    categories: BTreeMap<String, String>,
    services: BTreeMap<String, ServiceDetails>,
    /// The site's privacy centre in this language (`/sites/{site}/rights?lang=`), a path the
    /// centre resolves against its own script's URL.
    rights: String,
}

#[derive(Debug, Serialize)]
struct ServiceDetails {
    /// [label, value] pairs.
    rows: Vec<[String; 2]>,
    /// [URL, link text]; only an https:, http: or mailto: URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    policy: Option<[String; 2]>,
    /// [name as shown, the rest of its line].
    cookies: Vec<[String; 2]>,
}

impl DetailsSet {
    /// The details of `site` at `revision`, in every language of `file`.
    pub fn build(file: &PrivacyFile, site: &Site, revision: &str) -> Result<Self, BannerError> {
        let mut by_lang = HashMap::new();
        let mut digest = Sha256::new();
        for lang in &file.languages {
            let json =
                serde_json::to_string(&details(file, site, lang)?).map_err(BannerError::Config)?;
            let script = CENTRE_SCRIPT
                .trim_end()
                .replacen(DETAILS_PLACEHOLDER, &json, 1);
            let script = format!("{script}\n").into_bytes();
            digest.update(&script);
            by_lang.insert(lang.as_str().to_owned(), prepare(script)?);
        }
        Ok(DetailsSet {
            revision: revision.to_owned(),
            tag: hex::encode(digest.finalize().get(..4).unwrap_or_default()),
            by_lang,
            default_lang: file
                .languages
                .first()
                .map(|lang| lang.as_str().to_owned())
                .unwrap_or_default(),
        })
    }

    /// The uncompressed script in `lang` (for tests).
    pub fn script(&self, lang: &str) -> Option<&[u8]> {
        self.by_lang.get(lang).map(|p| p.identity.as_slice())
    }
}

fn details(file: &PrivacyFile, site: &Site, lang: &Lang) -> Result<Details, BannerError> {
    let texts = ui_texts(&[lang.as_str()], |key| DETAIL_TEXT_KEYS.contains(&key))?;
    let ui = |key: &str| -> String {
        texts
            .get(lang.as_str())
            .and_then(|t| t.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let say = |text: &Text| {
        text.get(lang, &file.languages)
            .unwrap_or_default()
            .to_owned()
    };
    let services = file.services_for_site(&site.id);
    let categories = file
        .categories_with_necessary()
        .into_iter()
        .filter(|category| {
            category.id == NECESSARY || services.iter().any(|s| s.category == category.id)
        })
        .map(|category| (category.id.clone(), say(&category.description)))
        .collect();
    let mut out = BTreeMap::new();
    for service in services {
        out.insert(
            service.id.clone(),
            service_details(service, lang, &ui, &say)?,
        );
    }
    let mut texts = texts.get(lang.as_str()).cloned().unwrap_or(Value::Null);
    if let Value::Object(texts) = &mut texts {
        for composed in ["provider", "purpose", "policy"] {
            texts.remove(composed);
        }
    }
    Ok(Details {
        css: CENTRE_STYLE.trim_end(),
        texts,
        categories,
        services: out,
        rights: rights_path(&site.id, lang.as_str()),
    })
}

fn service_details(
    service: &Service,
    lang: &Lang,
    ui: &dyn Fn(&str) -> String,
    say: &dyn Fn(&Text) -> String,
) -> Result<ServiceDetails, BannerError> {
    let provider = &service.provider;
    let mut rows = vec![
        [
            ui("provider"),
            format!(
                "{} ({})",
                provider.name,
                country_name(&provider.country, lang)
            ),
        ],
        [ui("purpose"), say(&service.purpose)],
    ];
    if !service.transfers.is_empty() {
        let transfers: Vec<String> = service
            .transfers
            .iter()
            .map(|transfer| {
                // As the documents write it: "USA: beslutning om tilstrekkelig beskyttelsesnivå
                // (art. 45) – EU–US Data Privacy Framework".
                let mut line = format!(
                    "{}: {}",
                    country_name(&transfer.country, lang),
                    in_sentence(safeguard_label(transfer.safeguard, lang))
                );
                if let Some(note) = transfer.note.as_ref().map(say).filter(|n| !n.is_empty()) {
                    line.push_str(" – ");
                    line.push_str(&note);
                }
                line
            })
            .collect();
        // A value opens its cell, as in the declaration: "The United States: adequacy decision …".
        rows.push([
            label(lang, "transfers").to_owned(),
            upper_first(&transfers.join("; ")),
        ]);
    }
    Ok(ServiceDetails {
        rows,
        policy: service
            .privacy_policy
            .as_ref()
            .filter(|url| is_safe_link(url))
            .map(|url| {
                [
                    url.clone(),
                    ui("policy").replace("{provider}", &provider.name),
                ]
            }),
        cookies: service
            .cookies
            .iter()
            .map(|cookie| cookie_line(service, cookie, lang, say))
            .collect::<Result<_, _>>()?,
    })
}

/// `_ga_…` and ` (tredjepart, satt på .youtube.com): 2 år. Skiller besøkende …`.
fn cookie_line(
    service: &Service,
    cookie: &Cookie,
    lang: &Lang,
    say: &dyn Fn(&Text) -> String,
) -> Result<[String; 2], BannerError> {
    let duration = Duration::parse(&cookie.duration).map_err(|_| BannerError::Duration {
        field: format!("services.{}.cookies.{}.duration", service.id, cookie.name),
        value: cookie.duration.clone(),
    })?;
    let mut extras = Vec::new();
    let kind = match cookie.kind {
        StorageKind::Cookie => None,
        StorageKind::LocalStorage => Some("kind_local_storage"),
        StorageKind::SessionStorage => Some("kind_session_storage"),
        StorageKind::IndexedDb => Some("kind_indexed_db"),
        StorageKind::Pixel => Some("kind_pixel"),
    };
    if let Some(key) = kind {
        extras.push(in_sentence(label(lang, key)));
    }
    if cookie.party == Party::Third {
        let mut third = in_sentence(label(lang, "party_third"));
        if let Some(domain) = &cookie.domain {
            third = format!("{third}, {} {domain}", label(lang, "set_on"));
        }
        extras.push(third);
    }
    let mut rest = if extras.is_empty() {
        String::new()
    } else {
        format!(" ({})", extras.join(", "))
    };
    rest.push_str(": ");
    rest.push_str(&duration_in_words(&duration, lang));
    rest.push('.');
    if let Some(purpose) = cookie.purpose.as_ref().map(say).filter(|p| !p.is_empty()) {
        rest.push(' ');
        rest.push_str(&purpose);
    }
    let shown = if cookie.prefix {
        format!("{}…", cookie.name)
    } else {
        cookie.name.clone()
    };
    Ok([shown, rest])
}

/// A text as it opens a cell: "the United States: …" → "The United States: …".
fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// A label as it reads inside a sentence: "Lokal lagring" → "lokal lagring", "IndexedDB" kept.
fn in_sentence(label: &str) -> String {
    let mut chars = label.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if second.is_lowercase() => {
            first.to_lowercase().chain(label.chars().skip(1)).collect()
        }
        _ => label.to_owned(),
    }
}

/// `GET /s/{site}/centre.js`.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<BannerScripts>: FromRef<S>,
{
    Router::new().route("/s/{site}/centre.js", get(get_centre))
}

async fn get_centre(
    State(scripts): State<Arc<BannerScripts>>,
    Path(site): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(set) = scripts.details.get(&site) else {
        return ApiError::NotFound {
            what: format!("site {site:?} (use a site id from [[sites]])"),
        }
        .into_response();
    };
    let params: Map<String, Value> = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    let param = |name: &str| params.get(name).and_then(Value::as_str);
    match param("rev") {
        Some(rev) if rev == set.revision => {}
        Some(rev) => {
            return ApiError::NotFound {
                what: format!(
                    "the centre of revision {rev:?} of site {site:?}: only the current revision's is served (reload the page)"
                ),
            }
            .into_response();
        }
        None => {
            return ApiError::parameter(
                "rev",
                format!("required: the site's revision, {:?}", set.revision),
            )
            .into_response();
        }
    }
    let lang = param("lang").unwrap_or(&set.default_lang);
    let Some(prepared) = set.by_lang.get(lang) else {
        let mut declared: Vec<&str> = set.by_lang.keys().map(String::as_str).collect();
        declared.sort_unstable();
        return ApiError::parameter(
            "lang",
            format!(
                "{lang:?} is not a language of the privacy file; use one of {}",
                declared.join(", ")
            ),
        )
        .into_response();
    };
    let cache = if param("v") == Some(set.tag.as_str()) {
        IMMUTABLE
    } else {
        SHORT
    };
    respond(prepared, "text/javascript; charset=utf-8", cache, &headers)
}
