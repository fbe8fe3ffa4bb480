//! Banner delivery: `GET /s/{site}.js`, the consent banner with what its first layer needs
//! inline (`?lang=nb` narrows the texts to one language for single-language pages), and
//! `GET /s/{site}/centre.js`, the preference centre with the site's service and cookie details,
//! loaded only when a visitor opens it (`details`). Every site's script and details are assembled, hashed (ETag) and
//! compressed with brotli and gzip once when the server starts; a request only picks the
//! encoding and answers.
//!
//! The browser code lives in `banner/src/` (kapsel.js, kapsel.css, texts.json); `banner/build.sh`
//! minifies it into `banner/dist/` (committed), which is embedded here at compile time. What a
//! site's script contains is decided in `projection`; what earlier revisions leave to clean up,
//! in `earlier`.

pub mod details;
pub mod earlier;
pub mod projection;

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kapsel_core::privacy::PrivacyFile;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

const SCRIPT: &str = include_str!("../../../../banner/dist/kapsel.min.js");
const STYLE: &str = include_str!("../../../../banner/dist/kapsel.min.css");
/// Where the minified script takes its arguments: replaced by JSON at start.
const CONFIG_PLACEHOLDER: &str = "KAPSEL_CONFIG";
const STYLE_PLACEHOLDER: &str = "KAPSEL_CSS";
const CACHE_CONTROL: &str = "public, max-age=300";

/// Why the banner scripts could not be prepared at start.
#[derive(Debug, thiserror::Error)]
pub enum BannerError {
    #[error("{field} = {value:?} is not a duration the banner can use (write e.g. \"12 months\")")]
    Duration { field: String, value: String },
    #[error("the banner's interface texts (banner/src/texts.json) are not valid JSON: {0}")]
    Texts(#[source] serde_json::Error),
    #[error("could not serialize the banner configuration: {0}")]
    Config(#[source] serde_json::Error),
    #[error("could not compress the banner script: {0}")]
    Compress(#[source] std::io::Error),
}

/// One site's script (or details) in every encoding we serve.
#[derive(Debug)]
pub struct PreparedScript {
    identity: Vec<u8>,
    brotli: Vec<u8>,
    gzip: Vec<u8>,
    etag: HeaderValue,
}

/// Every site's banner script, ready to serve.
#[derive(Debug, Default)]
pub struct BannerScripts {
    /// Keyed by `site` (every language) and `site?lang=xx` (one language).
    by_site: HashMap<String, PreparedScript>,
    /// The file's languages, for the error naming the `lang` parameter.
    languages: Vec<String>,
    /// Keyed by site: the preference centre of its current revision.
    details: HashMap<String, details::DetailsSet>,
}

/// Per site id, the stored documents of the revisions it published before (any order; the
/// current one may be among them).
pub type EarlierRevisions = HashMap<String, Vec<String>>;

fn variant_key(site: &str, lang: Option<&str>) -> String {
    match lang {
        Some(lang) => format!("{site}?lang={lang}"),
        None => site.to_owned(),
    }
}

impl BannerScripts {
    /// Assemble and compress the script and details of every site in `file`;
    /// `revision_of(site_id)` gives the site's current revision, `earlier` the documents of the
    /// revisions each site published before (whose dropped cookies the banner still deletes).
    pub fn build(
        file: &PrivacyFile,
        revision_of: impl Fn(&str) -> String,
        earlier: &EarlierRevisions,
    ) -> Result<Self, BannerError> {
        let mut by_site = HashMap::new();
        let mut details = HashMap::new();
        for site in &file.sites {
            let revision = revision_of(&site.id);
            let set = details::DetailsSet::build(file, site, &revision)?;
            let gone = earlier::gone_keys(
                &site.id,
                &file.services_for_site(&site.id),
                earlier.get(&site.id).map(Vec::as_slice).unwrap_or_default(),
            );
            let facts = projection::SiteFacts {
                revision: &revision,
                details_tag: &set.tag,
                gone: &gone,
            };
            let variants =
                std::iter::once(None).chain(file.languages.iter().map(|lang| Some(lang.as_str())));
            for only_lang in variants {
                let config = projection::project(file, site, facts, only_lang)?;
                let bytes = assemble(&config)?;
                by_site.insert(variant_key(&site.id, only_lang), prepare(bytes)?);
            }
            details.insert(site.id.clone(), set);
        }
        let languages = file
            .languages
            .iter()
            .map(|l| l.as_str().to_owned())
            .collect();
        Ok(BannerScripts {
            by_site,
            languages,
            details,
        })
    }

    /// The uncompressed script of a site, with all its languages or only `lang` (for tests and
    /// benchmarks).
    pub fn script(&self, site: &str, lang: Option<&str>) -> Option<&[u8]> {
        self.by_site
            .get(&variant_key(site, lang))
            .map(|prepared| prepared.identity.as_slice())
    }

    /// The preference centre of a site's current revision (for tests and benchmarks).
    pub fn details(&self, site: &str) -> Option<&details::DetailsSet> {
        self.details.get(site)
    }
}

/// `GET /s/{site}.js` and `GET /s/{site}/centre.js`, built at start (`BannerScripts::build`).
/// Both are loaded by script tags, so neither needs CORS.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Arc<BannerScripts>: FromRef<S>,
{
    Router::new()
        .route("/s/{file}", get(get_site_script))
        .merge(details::routes())
}

/// The minified script with its two placeholders filled: the site's configuration as a JSON
/// object and the styles as a JSON string. The styles go in first, so that no text from the
/// privacy file can ever be taken for a placeholder.
fn assemble(config: &projection::BannerConfig<'_>) -> Result<Vec<u8>, BannerError> {
    let config = serde_json::to_string(config).map_err(BannerError::Config)?;
    let style = serde_json::to_string(STYLE.trim_end()).map_err(BannerError::Config)?;
    let script = SCRIPT
        .trim_end()
        .replacen(STYLE_PLACEHOLDER, &style, 1)
        .replacen(CONFIG_PLACEHOLDER, &config, 1);
    Ok(format!("{script}\n").into_bytes())
}

pub(crate) fn prepare(identity: Vec<u8>) -> Result<PreparedScript, BannerError> {
    let mut brotli = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut brotli, 4096, 11, 22);
        writer.write_all(&identity).map_err(BannerError::Compress)?;
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gzip.write_all(&identity).map_err(BannerError::Compress)?;
    let gzip = gzip.finish().map_err(BannerError::Compress)?;
    let digest = Sha256::digest(&identity);
    let etag = format!("\"{}\"", hex::encode(digest.get(..12).unwrap_or_default()));
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"kapsel\""));
    Ok(PreparedScript {
        identity,
        brotli,
        gzip,
        etag,
    })
}

/// Which stored encoding to send for an `Accept-Encoding` header: brotli, then gzip, else none.
fn pick_encoding(headers: &HeaderMap) -> Option<&'static str> {
    let accepted = headers.get(header::ACCEPT_ENCODING)?.to_str().ok()?;
    let accepts = |name: &str| {
        accepted.split(',').any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|param| {
                param
                    .trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            coding.eq_ignore_ascii_case(name) && !refused
        })
    };
    ["br", "gzip"].into_iter().find(|name| accepts(name))
}

async fn get_site_script(
    State(scripts): State<Arc<BannerScripts>>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(site) = file
        .strip_suffix(".js")
        .filter(|site| scripts.by_site.contains_key(*site))
    else {
        return unknown_site(&file);
    };
    let lang = query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang="));
    let Some(prepared) = scripts.by_site.get(&variant_key(site, lang)) else {
        return unknown_language(lang.unwrap_or_default(), &scripts.languages);
    };
    respond(
        prepared,
        "text/javascript; charset=utf-8",
        CACHE_CONTROL,
        &headers,
    )
}

/// The answer with `prepared` in the best encoding the client accepts, or 304 when its
/// `If-None-Match` names the ETag.
pub(crate) fn respond(
    prepared: &PreparedScript,
    content_type: &'static str,
    cache_control: &'static str,
    headers: &HeaderMap,
) -> Response {
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|tag| tag.trim() == prepared.etag.to_str().unwrap_or_default())
        });
    let encoding = pick_encoding(headers);
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = match encoding {
            Some("br") => prepared.brotli.clone(),
            Some(_) => prepared.gzip.clone(),
            None => prepared.identity.clone(),
        };
        Response::new(Body::from(body))
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    out.insert(header::ETAG, prepared.etag.clone());
    out.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let (Some(coding), false) = (encoding, not_modified) {
        out.insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    response
}

/// A `?lang=` the privacy file does not declare: 400 naming the parameter.
fn unknown_language(lang: &str, declared: &[String]) -> Response {
    ApiError::parameter(
        "lang",
        format!(
            "{lang:?} is not a language of the privacy file; use one of {} or leave it out for all",
            declared.join(", ")
        ),
    )
    .into_response()
}

/// A script name that is no site of the privacy file: 404 naming the site.
fn unknown_site(file: &str) -> Response {
    let site = file.strip_suffix(".js").unwrap_or(file);
    ApiError::NotFound {
        what: format!("site {site:?} (the script is /s/{{site}}.js with a site id from [[sites]])"),
    }
    .into_response()
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_details;
