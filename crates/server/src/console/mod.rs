//! The privacy lead's console under `/console`: server-rendered pages in nb, nn and en, no
//! script, behind accounts with roles (`kapsel_core::console`).
//!
//! - [`session`]: the session cookie, the [`session::Operator`] extractor, the same-origin and
//!   CSRF checks every form passes; [`sign_in`]: signing in (password, then TOTP when set up),
//!   out, and out everywhere, throttled per account name and address prefix; [`oidc`]:
//!   signing in at an OpenID provider instead.
//! - The pages: [`overview`] (consent rates per day from the ledger writer's and the banner's
//!   counters, folded by [`rates`], with [`chart`]'s SVG and a CSV export), [`ledger`]
//!   (chains, verification, export, receipts), [`revisions`] (published revisions, the change
//!   between any two), [`scans`] (the scanner's reports, violations first), [`requests`] (the
//!   inbox by legal deadline), [`case`] (a case and its actions) with [`case_dry_run`],
//!   [`holds`] (retention rules, runs and holds) with [`retention_plan`], [`deliveries`]
//!   (the gate's deliveries and dead letters), and [`documents`] (the generated documents, the
//!   privacy file read-only, the audit log).
//! - Every action is recorded in the store's hash-chained audit log ([`audit`]).
//!
//! The console's cookie has `Path=/console`, so a browser never sends it to the banner's or the
//! consent API's endpoints; the pages' Content-Security-Policy allows no script at all (see
//! `middleware::security_headers`).

pub mod case;
pub mod case_dry_run;
pub mod chart;
pub mod deliveries;
pub mod documents;
pub mod holds;
pub mod layout;
pub mod ledger;
pub mod oidc;
pub mod overview;
pub mod rates;
pub mod requests;
pub mod retention_plan;
pub mod revisions;
pub mod scans;
pub mod session;
pub mod sign_in;
pub mod words;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use kapsel_core::console::audit::NewAuditEntry;
use kapsel_core::{Clock, Random};
use kapsel_store::{AuditLog, Store, StoreError};

use crate::config::ConsoleConfig;
use crate::state::{AppState, Sites};

/// The console's languages (its own words; independent of the privacy file's).
pub const LANGUAGES: [&str; 3] = ["nb", "nn", "en"];

/// The console's state.
pub struct ConsoleState {
    pub sites: Arc<Sites>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub config: ConsoleConfig,
    pub retention: crate::retention::RetentionConfig,
}

impl ConsoleState {
    /// Records an action in the audit log. A failure to record refuses the action's answer:
    /// nothing is done in the console that the log does not show.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        prefix: Option<&str>,
    ) -> Result<(), StoreError> {
        self.store
            .append_audit(NewAuditEntry {
                at_ms: self.clock.now_ms(),
                actor: actor.to_owned(),
                action: action.to_owned(),
                target: target.to_owned(),
                prefix: prefix.map(str::to_owned),
            })
            .await
            .map(|_| ())
    }
}

/// The routes of the console, for `router::public`, behind the per-prefix rate limit.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/console", get(overview::get_overview))
        .route("/console/overview.csv", get(overview::get_csv))
        .route("/console/console.css", get(layout::get_style))
        .route(
            "/console/sign-in",
            get(sign_in::get_sign_in).post(sign_in::post_sign_in),
        )
        .route(
            "/console/sign-in/code",
            get(sign_in::get_code).post(sign_in::post_code),
        )
        .route("/console/oidc/start", get(oidc::get_start))
        .route("/console/oidc/callback", get(oidc::get_callback))
        .route("/console/sign-out", post(sign_in::post_sign_out))
        .route(
            "/console/sign-out-everywhere",
            post(sign_in::post_sign_out_everywhere),
        )
        .route("/console/ledger", get(ledger::get_ledger))
        .route("/console/ledger/verify", post(ledger::post_verify))
        .route("/console/ledger/export", get(ledger::get_export))
        .route("/console/revisions", get(revisions::get_revisions))
        .route("/console/scans", get(scans::get_scans))
        .route("/console/requests", get(requests::get_requests))
        .route(
            "/console/requests/{case}",
            get(case::get_case).post(case::post_case),
        )
        .route(
            "/console/requests/{case}/dry-run",
            get(case_dry_run::get_dry_run),
        )
        .route("/console/retention", get(holds::get_retention))
        .route("/console/retention/plan", get(retention_plan::get_plan))
        .route("/console/retention/holds", post(holds::post_hold))
        .route(
            "/console/retention/holds/{id}/release",
            post(holds::post_release),
        )
        .route("/console/gate", get(deliveries::get_gate))
        .route("/console/gate/replay", post(deliveries::post_replay))
        .route("/console/documents", get(documents::get_documents))
        .route("/console/documents/ropa", get(documents::get_ropa))
        .route("/console/privacy-file", get(documents::get_privacy_file))
        .route("/console/audit", get(documents::get_audit))
        .route("/console/{*rest}", get(not_found).post(not_found))
        .layer(axum::middleware::from_fn(session::same_origin))
        .layer(axum::middleware::from_fn_with_state(
            state.edge.clone(),
            crate::middleware::edge::limit_by_prefix,
        ))
}

/// The page's language: `lang` when it is one of [`LANGUAGES`], else the privacy file's first
/// language when the console has it, else English.
pub fn language(sites: &Sites, query: &HashMap<String, String>) -> &'static str {
    let wanted = query.get("lang").map(|l| l.trim());
    if let Some(lang) = LANGUAGES.into_iter().find(|l| Some(*l) == wanted) {
        return lang;
    }
    sites
        .privacy
        .languages
        .iter()
        .find_map(|l| LANGUAGES.into_iter().find(|c| *c == l.as_str()))
        .unwrap_or("en")
}

/// The refusal for a failed store call, in the page's language.
pub fn store_failed(lang: &'static str) -> impl Fn(StoreError) -> Refusal {
    move |source| Refusal::Store { lang, source }
}

/// An HTML answer no cache keeps.
pub fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A redirect after a form (303) or to the sign-in page.
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::try_from(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Why a console request was not answered with its page: each renders as a page of its own
/// in the request's language, with its status.
#[derive(Debug)]
pub enum Refusal {
    /// No valid session: to the sign-in page.
    SignIn {
        lang: &'static str,
        ended: bool,
    },
    /// The role does not have the permission.
    Forbidden {
        lang: &'static str,
    },
    NotFound {
        lang: &'static str,
    },
    /// A form from another origin.
    Origin {
        lang: &'static str,
    },
    /// A form without this session's token.
    Csrf {
        lang: &'static str,
    },
    /// A required field that is absent or blank: its name.
    Missing {
        lang: &'static str,
        field: String,
    },
    /// A field that is too long or malformed: its name.
    Field {
        lang: &'static str,
        field: String,
    },
    Store {
        lang: &'static str,
        source: StoreError,
    },
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, lang, message) = match &self {
            Refusal::SignIn { lang, ended } => {
                let to = if *ended {
                    format!("/console/sign-in?lang={lang}&ended=1")
                } else {
                    format!("/console/sign-in?lang={lang}")
                };
                return see_other(&to);
            }
            Refusal::Forbidden { lang } => (
                StatusCode::FORBIDDEN,
                *lang,
                words::words(lang).forbidden.to_owned(),
            ),
            Refusal::NotFound { lang } => (
                StatusCode::NOT_FOUND,
                *lang,
                words::words(lang).not_found.to_owned(),
            ),
            Refusal::Origin { lang } => (
                StatusCode::FORBIDDEN,
                *lang,
                words::words(lang).refused_origin.to_owned(),
            ),
            Refusal::Csrf { lang } => (
                StatusCode::FORBIDDEN,
                *lang,
                words::words(lang).refused_csrf.to_owned(),
            ),
            Refusal::Missing { lang, field } => (
                StatusCode::BAD_REQUEST,
                *lang,
                format!("{} {field}", words::words(lang).field_missing),
            ),
            Refusal::Field { lang, field } => (
                StatusCode::BAD_REQUEST,
                *lang,
                format!("{} {field}", words::words(lang).field_too_long),
            ),
            Refusal::Store { lang, source } => {
                tracing::error!(error = %source, "console: the store failed");
                let status = if matches!(source, StoreError::Unavailable(_)) {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                };
                (status, *lang, words::words(lang).failed.to_owned())
            }
        };
        let w = words::words(lang);
        let main = format!(
            "<h1>{}</h1>\n<p role=\"alert\">{}</p>\n<p><a href=\"/console?lang={lang}\">{}</a></p>\n",
            layout::escape(w.refused_heading),
            layout::escape(&message),
            layout::escape(w.overview),
        );
        html(status, layout::bare_page(lang, w.refused_heading, &main))
    }
}

async fn not_found(
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Refusal {
    let lang = LANGUAGES
        .into_iter()
        .find(|l| query.get("lang").map(String::as_str) == Some(*l))
        .unwrap_or("en");
    Refusal::NotFound { lang }
}
