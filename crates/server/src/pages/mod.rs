//! The generated documents as pages: `GET /sites/{site}/cookies` (and `/cookies/fragment` to
//! embed), `/sites/{site}/privacy`, `/sites/{site}/changes`, and `/ropa` (the record of
//! processing, behind the admin bearer token like `/metrics`). `?lang=nb|nn|en` picks the
//! language (default: the file's first); `/ropa?format=csv|json` exports. The documents are
//! built by `kapsel-publish`; this module only picks the language, the revision dates and the
//! response type.

mod publish_error;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use kapsel_core::Lang;
use kapsel_core::privacy::PrivacyFile;
use kapsel_publish::render::PageKind;
use kapsel_publish::{
    ChangeLogRevision, Page, Publisher, change_log, cookie_declaration, file_from_projection,
    privacy_notice, record_of_processing,
};

use kapsel_store::{PublishedRevision as StoredRevision, RevisionStore};

use crate::error::ApiError;
use crate::extract::AdminBearer;
use crate::state::{AppState, PagesState};

/// The routes of this module, for `router::public`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sites/{site}/cookies", get(get_cookies))
        .route("/sites/{site}/cookies/fragment", get(get_cookies_fragment))
        .route("/sites/{site}/privacy", get(get_privacy))
        .route("/sites/{site}/changes", get(get_changes))
        .route("/ropa", get(get_ropa))
}

fn publisher() -> &'static Publisher {
    static PUBLISHER: OnceLock<Publisher> = OnceLock::new();
    PUBLISHER.get_or_init(Publisher::new)
}

/// The `lang` parameter, or the file's first language (the document pages and the privacy
/// centre alike).
pub(crate) fn language(
    file: &PrivacyFile,
    query: &HashMap<String, String>,
) -> Result<Lang, ApiError> {
    match query.get("lang") {
        None => file
            .languages
            .first()
            .cloned()
            .ok_or_else(|| ApiError::parameter("lang", "the privacy file declares no language")),
        Some(tag) => file
            .declared_language(Lang::new(tag.trim()).as_str())
            .cloned()
            .ok_or_else(|| {
                ApiError::parameter(
                    "lang",
                    format!(
                        "unknown language `{tag}`; use one of {}",
                        file.language_list()
                    ),
                )
            }),
    }
}

fn html(body: String) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    response
}

fn typed(body: String, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The site's published revisions, oldest first: one store read per request, from which both
/// "last updated" and the change log are taken.
async fn stored_revisions(state: &PagesState, site: &str) -> Result<Vec<StoredRevision>, ApiError> {
    Ok(state.revisions.revisions(site).await?)
}

/// The kept revisions as documents, for the change log.
fn kept_revisions(stored: Vec<StoredRevision>) -> Result<Vec<ChangeLogRevision>, ApiError> {
    stored
        .into_iter()
        .map(|published| {
            Ok(ChangeLogRevision {
                file: file_from_projection(&published.document)?,
                revision: published.revision,
                published_ms: published.first_published_ms,
            })
        })
        .collect()
}

/// When the site's current revision was first published ("last updated" on every page).
fn current_published_ms(state: &PagesState, site: &str, stored: &[StoredRevision]) -> Option<i64> {
    let current = &state.sites.get(site)?.current_revision;
    stored
        .iter()
        .find(|r| &r.revision == current)
        .map(|r| r.first_published_ms)
}

/// Checks the site and the language, reads the site's revisions and finds "last updated".
async fn prepare(
    state: &PagesState,
    site: &str,
    query: &HashMap<String, String>,
    kind: PageKind,
) -> Result<(Lang, Page, Vec<StoredRevision>), ApiError> {
    let file = &state.sites.privacy;
    if file.site(site).is_none() {
        return Err(ApiError::NotFound {
            what: format!("site `{site}`"),
        });
    }
    let lang = language(file, query)?;
    let stored = stored_revisions(state, site).await?;
    let updated = current_published_ms(state, site, &stored);
    let page = Page::new(file, site, &lang, kind, updated);
    Ok((lang, page, stored))
}

pub async fn get_cookies(
    State(state): State<Arc<PagesState>>,
    Path(site): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (lang, page, _) = prepare(&state, &site, &query, PageKind::Cookies).await?;
    let doc = cookie_declaration(&state.sites.privacy, &site, &lang)?;
    Ok(html(publisher().declaration_page(&doc, &page)?))
}

/// The declaration without `<html>`: CORS-open so an operator's page can fetch and embed it.
pub async fn get_cookies_fragment(
    State(state): State<Arc<PagesState>>,
    Path(site): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (lang, page, _) = prepare(&state, &site, &query, PageKind::Cookies).await?;
    let doc = cookie_declaration(&state.sites.privacy, &site, &lang)?;
    let mut response = html(publisher().declaration_fragment(&doc, &page)?);
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response)
}

pub async fn get_privacy(
    State(state): State<Arc<PagesState>>,
    Path(site): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (lang, page, _) = prepare(&state, &site, &query, PageKind::Privacy).await?;
    let doc = privacy_notice(&state.sites.privacy, &site, &lang)?;
    Ok(html(publisher().notice_page(&doc, &page)?))
}

pub async fn get_changes(
    State(state): State<Arc<PagesState>>,
    Path(site): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (lang, page, stored) = prepare(&state, &site, &query, PageKind::Changes).await?;
    let revisions = kept_revisions(stored)?;
    let log = change_log(&state.sites.privacy, &revisions, &site, &lang)?;
    Ok(html(publisher().change_log_page(&log, &page)?))
}

/// The record of processing: HTML, `?format=csv` or `?format=json`. Needs the admin token.
pub async fn get_ropa(
    State(state): State<Arc<PagesState>>,
    _admin: AdminBearer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let file = &state.sites.privacy;
    let lang = language(file, &query)?;
    let record = record_of_processing(file, &lang)?;
    match query.get("format").map(String::as_str) {
        None | Some("html") => {
            let first_site = file.sites.first().map_or("", |s| s.id.as_str());
            let stored = stored_revisions(&state, first_site).await?;
            let updated = current_published_ms(&state, first_site, &stored);
            let page = Page::new(file, first_site, &lang, PageKind::Ropa, updated);
            Ok(html(publisher().ropa_page(&record, &page)?))
        }
        Some("csv") => Ok(typed(record.to_csv(), "text/csv; charset=utf-8")),
        Some("json") => Ok(typed(
            serde_json::to_string_pretty(&record).map_err(kapsel_publish::PublishError::from)?,
            "application/json",
        )),
        Some(other) => Err(ApiError::parameter(
            "format",
            format!("unknown format `{other}`; use html, csv or json"),
        )),
    }
}
