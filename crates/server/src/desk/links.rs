//! The requester's links: `GET /sites/{site}/rights/verify?t=` uses up a verification link,
//! records the case as verified and redirects to the status page behind a new status link;
//! `GET /sites/{site}/rights/status?t=` shows the case. Every link that does not open a case of
//! this site — unknown, malformed, used, expired, for the other purpose, another site's, or one
//! the case no longer takes — gets one and the same page, so a guess learns nothing.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use kapsel_core::Lang;
use kapsel_core::desk::token::{DEFAULT_STATUS_TTL_MS, TokenPurpose};
use kapsel_core::desk::{Case, CaseEventKind, CaseState, NewCaseEvent, StepAction, VerifyMethod};
use kapsel_store::{Bundles, CaseError, CaseStore, DeskLinks};

use super::{DeskState, REQUESTER, TARGET_RULE, html, known_site, page};
use crate::error::ApiError;
use crate::pages::language;

/// The one answer to every link that does not open a case.
fn refused(desk: &DeskState, site: &str, lang: &Lang) -> Response {
    html(
        StatusCode::GONE,
        page::refused_page(&desk.sites.privacy, site, lang),
    )
}

/// The case of `site` the link `t` of `query` opens for `purpose` (a verification link is used
/// up), or `None` for every link that opens none.
async fn case_behind_link(
    desk: &DeskState,
    site: &str,
    query: &HashMap<String, String>,
    purpose: TokenPurpose,
    now_ms: i64,
) -> Result<Option<Case>, ApiError> {
    let token = query.get("t").map(String::as_str).unwrap_or_default();
    let case_id = match desk.store.redeem_link(token, purpose, now_ms).await? {
        Ok(case_id) => case_id,
        Err(why) => {
            tracing::info!(%why, purpose = purpose.as_str(), "link refused");
            return Ok(None);
        }
    };
    match desk.store.case(&case_id).await {
        Ok(case) if case.site == site => Ok(Some(case)),
        Ok(_) | Err(CaseError::UnknownCase(_)) => Ok(None),
        Err(e) => Err(ApiError::internal("reading a case", e)),
    }
}

/// What every link route does first: the site checked, the page's language, the clock read,
/// and the case of this site the link opens for `purpose` — or the one refusal page.
async fn open_link(
    desk: &DeskState,
    site: &str,
    query: &HashMap<String, String>,
    purpose: TokenPurpose,
) -> Result<Result<(Case, Lang, i64), Response>, ApiError> {
    known_site(&desk.sites, site)?;
    let lang = language(&desk.sites.privacy, query)?;
    let now = desk.clock.now_ms();
    Ok(
        match case_behind_link(desk, site, query, purpose, now).await? {
            Some(case) => Ok((case, lang, now)),
            None => Err(refused(desk, site, &lang)),
        },
    )
}

pub async fn get_verify(
    State(desk): State<Arc<DeskState>>,
    Path(site): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (case, lang, now) = match open_link(&desk, &site, &query, TokenPurpose::Verify).await? {
        Ok(opened) => opened,
        Err(refusal) => return Ok(refusal),
    };
    let verified = NewCaseEvent {
        at_ms: now.max(case.updated_ms),
        actor: REQUESTER.to_owned(),
        kind: CaseEventKind::Verified {
            method: VerifyMethod::Link,
            note: String::new(),
        },
    };
    match desk
        .store
        .append_event(&case.id, verified, TARGET_RULE)
        .await
    {
        Ok(_) => {}
        Err(CaseError::Refused { refused: why, .. }) => {
            // Lapsed or closed meanwhile: the link opens nothing.
            tracing::info!(%why, case = %case.id, "verification refused by the case");
            return Ok(refused(&desk, &site, &lang));
        }
        Err(e) => return Err(ApiError::internal("verifying a case", e)),
    }
    let status = desk
        .store
        .issue_link(
            &case.id,
            TokenPurpose::Status,
            now,
            DEFAULT_STATUS_TTL_MS,
            desk.random.as_ref(),
        )
        .await?;
    let location = format!(
        "/sites/{site}/rights/status?t={}&lang={}",
        status.expose(),
        lang.as_str()
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::try_from(location).map_err(|e| ApiError::internal("the status link", e))?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

pub async fn get_status(
    State(desk): State<Arc<DeskState>>,
    Path(site): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (case, lang, now) = match open_link(&desk, &site, &query, TokenPurpose::Status).await? {
        Ok(opened) => opened,
        Err(refusal) => return Ok(refusal),
    };
    let received = kapsel_core::calendar::oslo_date_of(case.received_ms)
        .map(|d| (d.year(), u8::from(d.month()), d.day()))
        .ok_or_else(|| ApiError::internal("the day received", "out of range"))?;
    let token = query.get("t").map(String::as_str).unwrap_or_default();
    let bundle = downloadable(&desk, &case, now).await?;
    let href = format!(
        "/sites/{site}/rights/bundle?t={}&lang={}",
        urlencode(token),
        lang.as_str()
    );
    let download = bundle.and_then(|bundle| {
        let until = kapsel_core::calendar::oslo_date_of(bundle.expires_ms - 1)?;
        Some(page::Download {
            href: &href,
            until: (until.year(), u8::from(until.month()), until.day()),
        })
    });
    Ok(html(
        StatusCode::OK,
        page::status_page(
            &desk.sites.privacy,
            &lang,
            &case,
            received,
            download.as_ref(),
        ),
    ))
}

/// The case's bundle, once the case is answered (completed) and while the bundle is kept: an
/// answer the privacy lead has not finished is not handed out.
async fn downloadable(
    desk: &DeskState,
    case: &Case,
    now: i64,
) -> Result<Option<kapsel_store::StoredBundle>, ApiError> {
    if case.state != CaseState::Completed {
        return Ok(None);
    }
    desk.store
        .bundle(&case.id, now)
        .await
        .map_err(|e| ApiError::internal("looking for the bundle", e))
}

/// A token is base32 text; percent-encoding keeps anything else harmless in a link.
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /sites/{site}/rights/bundle?t=`: the access bundle behind the status link, while it has
/// not expired. Every download is a `bundle_downloaded` step in the case's history.
pub async fn get_bundle(
    State(desk): State<Arc<DeskState>>,
    Path(site): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (case, lang, now) = match open_link(&desk, &site, &query, TokenPurpose::Status).await? {
        Ok(opened) => opened,
        Err(refusal) => return Ok(refusal),
    };
    let Some(bundle) = downloadable(&desk, &case, now).await? else {
        return Ok(refused(&desk, &site, &lang));
    };
    let downloaded = NewCaseEvent {
        at_ms: now,
        actor: REQUESTER.to_owned(),
        kind: CaseEventKind::Step {
            action: StepAction::BundleDownloaded,
            dataset: String::new(),
            result: serde_json::json!({ "sha256": bundle.sha256 }).to_string(),
        },
    };
    // The download is served only once it is recorded.
    desk.store
        .append_event(&case.id, downloaded, TARGET_RULE)
        .await
        .map_err(|e| ApiError::internal("recording the download", e))?;
    let mut response = (StatusCode::OK, bundle.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(disposition) =
        HeaderValue::from_str(&format!("attachment; filename=\"kapsel-{}.zip\"", case.id))
    {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    Ok(response)
}
