//! The scanner's reports: `POST /v1/admin/scans` (admin bearer token) keeps a report that
//! `kapsel scan --upload` sends, `GET /v1/admin/scans` lists each site's newest, and
//! `GET /console/scans` shows them, violations first. The scanner writes its findings in English; they are shown as written,
//! marked `lang="en"`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use serde_json::{Value, json};

use kapsel_core::console::Permission;
use kapsel_core::scan_report::Report;
use kapsel_store::{ScanReports, StoredScan};

use super::layout::{escape, page, table, when};
use super::session::Operator;
use super::words::words;
use super::{ConsoleState, Refusal, html};
use crate::error::{ApiError, FieldError};
use crate::extract::AdminBearer;
use crate::state::AppState;

/// The largest report the server keeps.
pub const MAX_REPORT_BYTES: usize = 4 * 1024 * 1024;
pub const UPLOAD_PATH: &str = "/v1/admin/scans";

/// The upload route, for `router::public`.
pub fn admin_routes() -> Router<AppState> {
    Router::new().route(UPLOAD_PATH, post(post_scan).get(get_latest))
}

async fn post_scan(
    _: AdminBearer,
    State(console): State<Arc<ConsoleState>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::Invalid(vec![FieldError::new("body", "is not UTF-8")]))?;
    let report: Report = serde_json::from_str(text).map_err(|e| {
        ApiError::Invalid(vec![FieldError::new(
            "body",
            format!("is not a kapsel scan report: {e}"),
        )])
    })?;
    let Some(site) = report.site.clone() else {
        return Err(ApiError::field(
            "site",
            "the report names no site; scan with --site",
        ));
    };
    if console.sites.get(&site).is_none() {
        return Err(ApiError::field(
            "site",
            format!("`{site}` is not a site of the privacy file"),
        ));
    }
    let id = console
        .store
        .save_scan(&StoredScan::of(
            &site,
            &report,
            text.to_owned(),
            console.clock.now_ms(),
        ))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "site": site, "violations": report.violations.len() })),
    ))
}

async fn get_latest(
    _: AdminBearer,
    State(console): State<Arc<ConsoleState>>,
) -> Result<Json<Value>, ApiError> {
    let scans = console.store.latest_scans().await?;
    let scans: Vec<Value> = scans
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "site": s.site,
                "started_ms": s.started_ms,
                "finished_ms": s.finished_ms,
                "pages": s.pages,
                "violations": s.violations,
                "uploaded_ms": s.uploaded_ms,
            })
        })
        .collect();
    Ok(Json(json!({ "scans": scans })))
}

pub async fn get_scans(
    State(console): State<Arc<ConsoleState>>,
    operator: Operator,
) -> Result<Response, Refusal> {
    operator.require(Permission::SeeEvidence)?;
    let lang = operator.lang;
    let w = words(lang);
    let scans = console
        .store
        .latest_scans()
        .await
        .map_err(|source| Refusal::Store { lang, source })?;
    let mut main = format!("<h1>{}</h1>\n", escape(w.scans));
    if scans.is_empty() {
        main.push_str(&format!("<p>{}</p>\n", escape(w.no_scans)));
    }
    // Sites with violations first, then by site.
    let mut scans = scans;
    scans.sort_by_key(|s| (s.violations == 0, s.site.clone()));
    for scan in &scans {
        let site_name = console
            .sites
            .privacy
            .site(&scan.site)
            .map_or(scan.site.clone(), |s| s.name.clone());
        main.push_str(&format!(
            "<h2>{}</h2>\n<p>{} {} · {} {} · <strong class=\"{}\">{} {}</strong></p>\n",
            escape(&site_name),
            escape(w.scanned),
            escape(&when(scan.finished_ms)),
            scan.pages,
            escape(w.pages),
            if scan.violations > 0 { "bad" } else { "ok" },
            scan.violations,
            escape(w.violations),
        ));
        let Ok(report) = serde_json::from_str::<Report>(&scan.report) else {
            continue;
        };
        if !report.violations.is_empty() {
            let rows: Vec<Vec<String>> = report
                .violations
                .iter()
                .map(|v| {
                    vec![
                        format!("<code>{}</code>", escape(v.kind.as_str())),
                        format!("<code>{}</code>", escape(&v.subject)),
                        escape(v.page.as_deref().unwrap_or("")),
                        escape(v.phase.map_or("", |p| p.as_str())),
                        format!("<span lang=\"en\">{}</span>", escape(&v.detail)),
                    ]
                })
                .collect();
            main.push_str(&table(
                w.violations,
                &[w.what, w.target, w.pages, w.phase, w.reason],
                &rows,
            ));
        }
        let pages: Vec<Vec<String>> = report
            .pages
            .iter()
            .map(|p| {
                vec![
                    escape(&p.url),
                    if p.kapsel_banner { "✓" } else { "–" }.to_owned(),
                    escape(p.error.as_deref().unwrap_or("")),
                ]
            })
            .collect();
        main.push_str(&table(w.pages, &[w.pages, "Kapsel", w.reason], &pages));
    }
    main.push_str(&format!("<p class=\"note\">{}</p>\n", escape(w.scan_note)));
    Ok(html(
        StatusCode::OK,
        page(&operator, "/console/scans", w.scans, &main),
    ))
}
