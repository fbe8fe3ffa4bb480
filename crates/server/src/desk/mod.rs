//! The privacy centre and the first steps of the request desk:
//!
//! - `GET /sites/{site}/rights?lang=` — one form per right (GDPR arts. 15–18, 20, 21) and how
//!   to withdraw cookie consent, server-rendered, no script;
//! - `POST /sites/{site}/rights` — a checked request opens a case (received), issues a
//!   verification link and puts one mail with it in the outbox; the answer is the same page
//!   whatever the address, and at most [`crate::DeskConfig::per_email_per_day`] unverified
//!   requests per address and 24 hours send anything;
//! - `GET /sites/{site}/rights/verify?t=` — the link from the mail: the case is verified and a
//!   status link issued (303 to it); every bad link gets one and the same 410 page;
//! - `GET /sites/{site}/rights/status?t=` — the case's right, state, day received and legal
//!   due date.
//!
//! The link routes live in [`links`], mail delivery in [`delivery`], the lapse of unverified
//! requests in [`lapse`]. The rules of cases and links are `kapsel_core::desk`'s
//! and the store's; this module checks input, picks words ([`texts`]) and renders ([`page`]).

pub mod actions;
pub mod admin;
pub mod connectors;
pub mod delivery;
pub mod fields;
pub mod form;
pub mod frame;
pub mod lapse;
pub mod links;
pub mod mail;
pub mod notices;
pub mod page;
pub mod sweep;
pub mod texts;
pub mod work;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use kapsel_core::deadline::TargetRule;
use kapsel_core::desk::token::TokenPurpose;
use kapsel_core::desk::{CaseEventKind, NewCase, NewCaseEvent, Right};
use kapsel_core::{Clock, Lang, Random};
use kapsel_mail::{Outgoing, Sender};
use kapsel_store::{CaseStore, DeskLinks, Outbox, Store};

use crate::config::MailConfig;
use crate::error::ApiError;
use crate::pages::language;
use crate::state::{AppState, Sites};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// Who the requester's own steps are recorded as.
const REQUESTER: &str = "requester";
pub(crate) const TARGET_RULE: TargetRule = TargetRule::SameDate;

/// The desk's state.
pub struct DeskState {
    pub sites: Arc<Sites>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    /// The links in the mail start with this (no trailing slash).
    pub public_url: String,
    pub mail: Option<MailConfig>,
    pub delivery_interval: Duration,
    /// How often unverified requests are checked for their lapse time.
    pub lapse_interval: Duration,
    pub per_email_per_day: i64,
    /// How long the verification link works.
    pub verify_ttl_ms: i64,
    /// How long an access bundle can be downloaded.
    pub bundle_ttl_ms: i64,
    /// The key of keyed hashes (erased fields, the suppression list).
    pub key: Option<kapsel_core::Secret>,
    pub connectors: connectors::Connectors,
    /// This instance among those on one store (its ledger chain id): the holder of its job
    /// leases.
    pub instance: String,
}

impl DeskState {
    /// The sender messages are composed with: the configured one, else a `.invalid` one.
    pub(crate) fn sender(&self) -> Result<Sender, ApiError> {
        match &self.mail {
            Some(mail) => Ok(mail.sender.clone()),
            None => Sender::unconfigured().map_err(|e| ApiError::internal("the mail sender", e)),
        }
    }
}

/// The routes of this module, for `router::public`, behind the per-network rate limit of the
/// consent API.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/sites/{site}/rights", get(get_rights).post(post_rights))
        .route("/sites/{site}/rights/verify", get(links::get_verify))
        .route("/sites/{site}/rights/status", get(links::get_status))
        .route("/sites/{site}/rights/bundle", get(links::get_bundle))
        .layer(axum::middleware::from_fn_with_state(
            state.edge.clone(),
            crate::middleware::edge::limit_by_prefix,
        ))
}

fn known_site(sites: &Sites, site: &str) -> Result<(), ApiError> {
    if sites.privacy.site(site).is_some() {
        Ok(())
    } else {
        Err(ApiError::NotFound {
            what: format!("site `{site}`"),
        })
    }
}

/// An HTML answer that no cache keeps (the pages carry tokens or answer a request).
fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn get_rights(
    State(desk): State<Arc<DeskState>>,
    Path(site): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    known_site(&desk.sites, &site)?;
    let lang = language(&desk.sites.privacy, &query)?;
    Ok(html(
        StatusCode::OK,
        page::rights_page(&desk.sites.privacy, &site, &lang, None),
    ))
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Whether the `Accept` header prefers `text/html` to JSON, as a browser's form post does
/// (`text/html,…`); `*/*` alone and a missing header keep the problem JSON.
fn prefers_html(headers: &HeaderMap) -> bool {
    let mut html = 0.0_f32;
    let mut json = 0.0_f32;
    for accept in headers.get_all(header::ACCEPT) {
        let Ok(accept) = accept.to_str() else {
            continue;
        };
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let kind = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            match kind.as_str() {
                "text/html" => html = html.max(q),
                "application/json" | "application/problem+json" => json = json.max(q),
                _ => {}
            }
        }
    }
    html > 0.0 && html > json
}

/// A refused submission: the problem JSON, or for a browser the rights page again with the
/// error summary and the person's input (nothing has been written).
fn refuse_form(
    desk: &DeskState,
    site: &str,
    lang: &Lang,
    headers: &HeaderMap,
    body: &[u8],
    refusal: form::Refusal,
) -> Result<Response, ApiError> {
    if !prefers_html(headers) {
        return Err(refusal.problem);
    }
    let fields = form::submitted(body);
    let right = fields
        .get("right")
        .and_then(|r| r.parse::<Right>().ok())
        .filter(|r| page::FORM_RIGHTS.contains(r));
    // Without a known right there is no form to show the error in; the texts belong to the
    // rectification form only.
    let fault = match (right, refusal.fault) {
        (None, _) => form::Fault::Right,
        (Some(right), form::Fault::Missing(_) | form::Fault::TooLong(_))
            if right != Right::Rectification =>
        {
            form::Fault::Form
        }
        (Some(_), fault) => fault,
    };
    let refused = page::Refused {
        fault,
        right,
        fields,
    };
    Ok(html(
        StatusCode::BAD_REQUEST,
        page::refused_form_page(&desk.sites.privacy, site, lang, &refused),
    ))
}

pub async fn post_rights(
    State(desk): State<Arc<DeskState>>,
    Path(site): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    known_site(&desk.sites, &site)?;
    let file = &desk.sites.privacy;
    let lang = language(file, &query)?;
    if !is_form(&headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let request = match form::parse(&body, file) {
        Ok(request) => request,
        Err(error) => return refuse_form(&desk, &site, &lang, &headers, &body, error),
    };
    let sender = desk.sender()?;
    let now = desk.clock.now_ms();
    let code = lang.as_str();
    let t = texts::texts(code);
    let site_name = file.site(&site).map_or(site.as_str(), |s| s.name.as_str());
    let fill = |text: &str, link: &str| {
        text.replace("{org}", &file.organisation.name)
            .replace("{right}", texts::right_in_sentence(code, request.right))
            .replace("{site}", site_name)
            .replace("{link}", link)
            .replace("{minutes}", &(desk.verify_ttl_ms / 60_000).to_string())
    };
    // The builder's own check of the recipient and subject, before anything is written.
    let outgoing = |body_text: String, case_id: Option<String>| Outgoing {
        to: request.email.clone(),
        subject: fill(t.mail_subject, ""),
        body_text,
        template: "verify-link".to_owned(),
        case_id,
    };
    if let Err(error) = kapsel_mail::compose(
        outgoing(String::new(), None),
        &sender,
        now,
        desk.random.as_ref(),
    ) {
        let refusal = form::Refusal::new(form::Fault::Email, "email", format!("`email` {error}"));
        return refuse_form(&desk, &site, &lang, &headers, &body, refusal);
    }

    let recent = desk
        .store
        .unverified_requests_since(&request.email, now - DAY_MS)
        .await
        .map_err(|e| ApiError::internal("counting recent requests", e))?;
    if recent < desk.per_email_per_day {
        open_and_mail(&desk, &site, &lang, &request, &sender, now, |link| {
            outgoing(fill(t.mail_body, link), None)
        })
        .await?;
    } else {
        tracing::info!(site = %site, "request over the per-address limit: nothing sent");
    }
    let notice = page::sent_notice(code, desk.verify_ttl_ms / 60_000);
    Ok(html(
        StatusCode::OK,
        page::rights_page(file, &site, &lang, Some(&notice)),
    ))
}

/// Opens the case, issues its verification link and enqueues the mail `compose_mail` makes
/// from the link; records the mail in the case's history.
async fn open_and_mail(
    desk: &DeskState,
    site: &str,
    lang: &Lang,
    request: &form::RightsRequest,
    sender: &Sender,
    now: i64,
    compose_mail: impl Fn(&str) -> Outgoing,
) -> Result<(), ApiError> {
    let mut random10 = [0u8; 10];
    desk.random.fill(&mut random10);
    let id = kapsel_core::consent::receipt_id_at(now, random10);
    let new = NewCase {
        id: id.clone(),
        site: site.to_owned(),
        right: request.right,
        email: request.email.clone(),
        identifiers: request.details.clone(),
        received_ms: now,
        actor: REQUESTER.to_owned(),
        lang: lang.as_str().to_owned(),
    };
    desk.store
        .open_case(new, TARGET_RULE)
        .await
        .map_err(|e| ApiError::internal("opening a case", e))?;
    let token = desk
        .store
        .issue_link(
            &id,
            TokenPurpose::Verify,
            now,
            desk.verify_ttl_ms,
            desk.random.as_ref(),
        )
        .await?;
    let link = format!(
        "{}/sites/{site}/rights/verify?t={}&lang={}",
        desk.public_url,
        token.expose(),
        lang.as_str()
    );
    let mut outgoing = compose_mail(&link);
    outgoing.case_id = Some(id.clone());
    let mail = kapsel_mail::compose(outgoing, sender, now, desk.random.as_ref())
        .map_err(|error| ApiError::parameter("email", format!("`email` {error}")))?;
    let message_id = mail.message_id.clone();
    desk.store
        .enqueue(mail)
        .await
        .map_err(|e| ApiError::internal("queueing the verification mail", e))?;
    let sent = NewCaseEvent {
        at_ms: now,
        actor: "kapsel".to_owned(),
        kind: CaseEventKind::MailSent {
            message_id,
            template: "verify-link".to_owned(),
        },
    };
    if let Err(error) = desk.store.append_event(&id, sent, TARGET_RULE).await {
        tracing::warn!(%error, case = %id, "the mail was queued but not recorded in the case");
    }
    Ok(())
}
