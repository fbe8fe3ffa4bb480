//! The desk's JSON admin API, behind the admin bearer token (the console adds sessions
//! later). Each action is one case event (or a run of steps) checked by
//! `kapsel_core::desk`'s rules; a refused action is a 409 problem and writes nothing.
//!
//! | route | does |
//! |---|---|
//! | `GET /v1/admin/cases` | open cases, soonest legal deadline first |
//! | `GET /v1/admin/cases/{id}` | one case: dates, history, chain check, what is left |
//! | `GET /v1/admin/cases/{id}/plan` | the dry run: what a run would export or erase |
//! | `POST /v1/admin/cases/{id}/run` | carry it out ([`super::work`]) |
//! | `POST /v1/admin/cases/{id}/verify` | verified by other means, with a note |
//! | `POST /v1/admin/cases/{id}/extend` | art. 12(3) extension, with a reason; mails the notice |
//! | `POST /v1/admin/cases/{id}/refuse` | art. 12(4) refusal; mails it with the right to complain |
//! | `POST /v1/admin/cases/{id}/complete` | the answer; refused while anything is left |
//! | `POST /v1/admin/cases/{id}/pause`, `/resume`, `/withdraw`, `/note` | the other events |
//! | `POST /v1/admin/cases/{id}/tasks/{dataset}` | a manual dataset's task done, with a note |
//! | `POST /v1/admin/cases/{id}/rectify` | a correction: previewed, or applied with `apply` |

mod actions;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use kapsel_core::deadline;
use kapsel_core::desk::{Case, CaseChainVerifier, CaseEvent, iso_date};
use kapsel_store::CaseStore;

use super::DeskState;
pub(super) use super::actions::load;
use super::work::{self, StepView};
use crate::error::{ApiError, FieldError};
use crate::extract::AdminBearer;
use crate::middleware::json_keys::first_duplicate_key;
use crate::state::AppState;

/// Who an admin action is recorded as, until the console has accounts.
pub(super) const ADMIN: &str = "admin";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/cases", get(list))
        .route("/v1/admin/cases/{id}", get(show))
        .route("/v1/admin/cases/{id}/plan", get(plan))
        .route("/v1/admin/cases/{id}/run", post(run))
        .route("/v1/admin/cases/{id}/verify", post(actions::verify))
        .route("/v1/admin/cases/{id}/extend", post(actions::extend))
        .route("/v1/admin/cases/{id}/refuse", post(actions::refuse))
        .route("/v1/admin/cases/{id}/complete", post(actions::complete))
        .route("/v1/admin/cases/{id}/pause", post(actions::pause))
        .route("/v1/admin/cases/{id}/resume", post(actions::resume))
        .route("/v1/admin/cases/{id}/withdraw", post(actions::withdraw))
        .route("/v1/admin/cases/{id}/note", post(actions::note))
        .route(
            "/v1/admin/cases/{id}/tasks/{dataset}",
            post(actions::task_done),
        )
        .route("/v1/admin/cases/{id}/rectify", post(actions::rectify))
}

/// A JSON body of exactly the fields `T` declares: duplicate keys 400, unknown keys 422 naming
/// them, a wrong value 422 naming its field. An empty body reads as `{}`.
pub(super) fn body<T: DeserializeOwned>(bytes: &[u8], fields: &[&str]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    if let Some(field) = first_duplicate_key(bytes) {
        return Err(ApiError::DuplicateKey { field });
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ApiError::MalformedJson {
        reason: e.to_string(),
    })?;
    let Value::Object(object) = &value else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    let unknown: Vec<FieldError> = object
        .keys()
        .filter(|k| !fields.contains(&k.as_str()))
        .map(|k| {
            FieldError::new(
                k.clone(),
                format!("unknown field; expected one of {}", fields.join(", ")),
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::Invalid(unknown));
    }
    serde_json::from_value(value).map_err(|e| ApiError::field("body", e.to_string()))
}

/// The case as the API shows it.
pub(super) fn case_json(case: &Case, now_ms: i64) -> Value {
    let due = case
        .dates
        .deadlines(case.received_ms)
        .and_then(|d| deadline::status(&d, now_ms).ok())
        .map(|s| format!("{s:?}"));
    json!({
        "id": case.id,
        "site": case.site,
        "right": case.right.as_str(),
        "state": case.state.as_str(),
        "lang": case.lang,
        "email": case.email,
        "identifiers": case.identifiers,
        "received_ms": case.received_ms,
        "legal_due": iso_date(case.dates.legal_due),
        "target": iso_date(case.dates.target),
        "period_months": case.dates.months,
        "due_status": due,
        "updated_ms": case.updated_ms,
    })
}

fn event_json(event: &CaseEvent) -> Value {
    json!({
        "seq": event.seq,
        "at_ms": event.at_ms,
        "actor": event.actor,
        "kind": event.kind.name(),
        "detail": event.kind.detail(),
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    })
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<i64>,
}

async fn list(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = query.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::parameter("limit", "must be between 1 and 10000"));
    }
    let cases = desk
        .store
        .open_cases_by_deadline(limit)
        .await
        .map_err(|e| ApiError::internal("listing cases", e))?;
    let now = desk.clock.now_ms();
    Ok(Json(json!({
        "cases": cases.iter().map(|c| case_json(c, now)).collect::<Vec<_>>(),
    })))
}

async fn show(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (case, history) = load(&desk, &id).await?;
    let mut verifier = CaseChainVerifier::new(&id);
    let chain = history
        .events
        .iter()
        .try_for_each(|e| verifier.push(e).map(drop))
        .map(|()| json!({ "verified": true, "events": history.events.len() }))
        .unwrap_or_else(|b| json!({ "verified": false, "break": b.to_string() }));
    let file = &desk.sites.privacy;
    Ok(Json(json!({
        "case": case_json(&case, desk.clock.now_ms()),
        "history": history.events.iter().map(event_json).collect::<Vec<_>>(),
        "chain": chain,
        "steps": history.events.iter().filter_map(StepView::of).collect::<Vec<_>>(),
        "pending_tasks": work::pending_tasks(file, &history),
        "missing_before_completion": work::missing_before_completion(file, &case, &history)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        "recipients": work::recipients(file, &case),
    })))
}

async fn plan(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (case, _) = load(&desk, &id).await?;
    let file = desk.sites.privacy.clone();
    let dry_run = work::dry_run::dry_run(&desk, &file, &case).await?;
    Ok(Json(dry_run.to_json(&case)))
}

async fn run(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
) -> Result<Json<work::RunReport>, ApiError> {
    Ok(Json(work::run(&desk, &id, ADMIN).await?))
}
