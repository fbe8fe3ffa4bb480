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

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use kapsel_core::deadline;
use kapsel_core::desk::token::{DEFAULT_STATUS_TTL_MS, TokenPurpose};
use kapsel_core::desk::{
    Case, CaseChainVerifier, CaseEvent, CaseEventKind, CaseState, ErasureGround, NewCaseEvent,
    Right, StepAction, VerifyMethod, iso_date,
};
use kapsel_core::privacy::Engine;
use kapsel_store::{CaseStore, DeskLinks};

use super::work::{self, History, StepView, case_problem, subject_of};
use super::{DeskState, TARGET_RULE, mail};
use crate::error::{ApiError, FieldError};
use crate::extract::AdminBearer;
use crate::middleware::json_keys::first_duplicate_key;
use crate::state::AppState;

/// Who an admin action is recorded as, until the console has accounts.
const ADMIN: &str = "admin";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/cases", get(list))
        .route("/v1/admin/cases/{id}", get(show))
        .route("/v1/admin/cases/{id}/plan", get(plan))
        .route("/v1/admin/cases/{id}/run", post(run))
        .route("/v1/admin/cases/{id}/verify", post(verify))
        .route("/v1/admin/cases/{id}/extend", post(extend))
        .route("/v1/admin/cases/{id}/refuse", post(refuse))
        .route("/v1/admin/cases/{id}/complete", post(complete))
        .route("/v1/admin/cases/{id}/pause", post(pause))
        .route("/v1/admin/cases/{id}/resume", post(resume))
        .route("/v1/admin/cases/{id}/withdraw", post(withdraw))
        .route("/v1/admin/cases/{id}/note", post(note))
        .route("/v1/admin/cases/{id}/tasks/{dataset}", post(task_done))
        .route("/v1/admin/cases/{id}/rectify", post(rectify))
}

/// A JSON body of exactly the fields `T` declares: duplicate keys 400, unknown keys 422 naming
/// them, a wrong value 422 naming its field. An empty body reads as `{}`.
fn body<T: DeserializeOwned>(bytes: &[u8], fields: &[&str]) -> Result<T, ApiError> {
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
fn case_json(case: &Case, now_ms: i64) -> Value {
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

async fn load(desk: &DeskState, id: &str) -> Result<(Case, History), ApiError> {
    let case = desk.store.case(id).await.map_err(|e| case_problem(id, e))?;
    let events = desk
        .store
        .events(id)
        .await
        .map_err(|e| case_problem(id, e))?;
    Ok((case, History { events }))
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
        "missing_before_completion": work::missing_before_completion(file, &case, &history),
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
    let subject = subject_of(&file, &case);
    let mut datasets = Vec::new();
    for spec in work::sql_datasets(&file) {
        let conn = desk.connectors.sql(&spec.connection).await?;
        let problem = |e: kapsel_connect::Error| work::erasure::dataset_problem(&spec.id, &e);
        let result = if case.right == Right::Erasure {
            let plan = kapsel_connect::erasure_plan(spec, &conn, &subject)
                .await
                .map_err(problem)?;
            json!({ "dataset": spec.id, "erasure": plan.tables })
        } else {
            let found = kapsel_connect::access(spec, &conn, &subject)
                .await
                .map_err(problem)?;
            let rows = found.tables.iter().map(|t| (t.table.clone(), t.rows.len()));
            json!({ "dataset": spec.id, "rows": work::per_table(rows) })
        };
        datasets.push(result);
    }
    let others: Vec<Value> = file
        .datasets
        .iter()
        .filter(|d| !d.engine.is_sql())
        .map(|d| json!({ "dataset": d.id, "engine": d.engine.as_str() }))
        .collect();
    Ok(Json(json!({
        "case_id": case.id,
        "right": case.right.as_str(),
        "datasets": datasets,
        "handled_separately": others,
        "recipients": work::recipients(&file, &case),
    })))
}

async fn run(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
) -> Result<Json<work::RunReport>, ApiError> {
    Ok(Json(work::run(&desk, &id, ADMIN).await?))
}

/// Appends `kind` by the admin and answers with the case after it.
async fn act(desk: &DeskState, id: &str, kind: CaseEventKind) -> Result<Case, ApiError> {
    let event = NewCaseEvent {
        at_ms: desk.clock.now_ms(),
        actor: ADMIN.to_owned(),
        kind,
    };
    Ok(desk
        .store
        .append_event(id, event, TARGET_RULE)
        .await
        .map_err(|e| case_problem(id, e))?
        .0)
}

/// A status link for the requester's mail.
async fn status_link(desk: &DeskState, case: &Case) -> Result<String, ApiError> {
    let token = desk
        .store
        .issue_link(
            &case.id,
            TokenPurpose::Status,
            desk.clock.now_ms(),
            DEFAULT_STATUS_TTL_MS,
            desk.random.as_ref(),
        )
        .await?;
    Ok(format!(
        "{}/sites/{}/rights/status?t={}&lang={}",
        desk.public_url,
        case.site,
        token.expose(),
        case.lang
    ))
}

fn answer(desk: &DeskState, case: &Case) -> Json<Value> {
    Json(json!({ "case": case_json(case, desk.clock.now_ms()) }))
}

#[derive(Deserialize)]
struct NoteBody {
    note: String,
}

async fn verify(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let NoteBody { note } = body(&bytes, &["note"])?;
    let case = act(
        &desk,
        &id,
        CaseEventKind::Verified {
            method: VerifyMethod::OtherMeans,
            note,
        },
    )
    .await?;
    let link = status_link(&desk, &case).await?;
    mail::send_verified(&desk, &case, &link).await?;
    Ok(answer(&desk, &case))
}

#[derive(Deserialize)]
struct ExtendBody {
    months: u32,
    reason: String,
}

async fn extend(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let ExtendBody { months, reason } = body(&bytes, &["months", "reason"])?;
    let case = act(
        &desk,
        &id,
        CaseEventKind::Extended {
            months,
            reason: reason.clone(),
        },
    )
    .await?;
    let link = status_link(&desk, &case).await?;
    mail::send_extended(&desk, &case, months, &reason, &link).await?;
    Ok(answer(&desk, &case))
}

#[derive(Deserialize)]
struct RefuseBody {
    reason: String,
    ground: Option<String>,
}

async fn refuse(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let RefuseBody { reason, ground } = body(&bytes, &["reason", "ground"])?;
    let ground = match ground.as_deref() {
        None => None,
        Some(name) => Some(ErasureGround::parse(name).ok_or_else(|| {
            let names: Vec<&str> = ErasureGround::ALL.iter().map(|g| g.as_str()).collect();
            ApiError::field("ground", format!("must be one of {}", names.join(", ")))
        })?),
    };
    let case = act(
        &desk,
        &id,
        CaseEventKind::Refused {
            reason: reason.clone(),
            ground,
        },
    )
    .await?;
    mail::send_refused(&desk, &case, &reason, ground).await?;
    Ok(answer(&desk, &case))
}

async fn complete(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    body::<Value>(&bytes, &[])?;
    let (case, history) = load(&desk, &id).await?;
    if case.state == CaseState::InProgress {
        let missing = work::missing_before_completion(&desk.sites.privacy, &case, &history);
        if !missing.is_empty() {
            return Err(ApiError::Conflict {
                field: "case".to_owned(),
                message: format!("not everything is done: {}", missing.join("; ")),
            });
        }
    }
    let case = act(&desk, &id, CaseEventKind::Completed).await?;
    let link = status_link(&desk, &case).await?;
    mail::send_completed(&desk, &case, &link).await?;
    Ok(answer(&desk, &case))
}

#[derive(Deserialize)]
struct QuestionBody {
    question: String,
}

async fn pause(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let QuestionBody { question } = body(&bytes, &["question"])?;
    let case = act(&desk, &id, CaseEventKind::Paused { question }).await?;
    Ok(answer(&desk, &case))
}

async fn resume(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    body::<Value>(&bytes, &[])?;
    let case = act(&desk, &id, CaseEventKind::Resumed).await?;
    Ok(answer(&desk, &case))
}

async fn withdraw(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    body::<Value>(&bytes, &[])?;
    let case = act(&desk, &id, CaseEventKind::Withdrawn).await?;
    Ok(answer(&desk, &case))
}

#[derive(Deserialize)]
struct TextBody {
    text: String,
}

async fn note(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let TextBody { text } = body(&bytes, &["text"])?;
    let case = act(&desk, &id, CaseEventKind::Note { text }).await?;
    Ok(answer(&desk, &case))
}

async fn task_done(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path((id, dataset)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let NoteBody { note } = body(&bytes, &["note"])?;
    if note.trim().is_empty() {
        return Err(ApiError::field("note", "say what was done"));
    }
    let manual = desk
        .sites
        .privacy
        .datasets
        .iter()
        .any(|d| d.id == dataset && d.engine == Engine::Manual);
    if !manual {
        return Err(ApiError::NotFound {
            what: format!("manual dataset `{dataset}`"),
        });
    }
    let step = work::record(
        &desk,
        &id,
        ADMIN,
        StepAction::TaskDone,
        &dataset,
        json!({ "note": note }),
    )
    .await?;
    Ok(Json(json!({ "step": step })))
}

#[derive(Deserialize)]
struct RectifyBody {
    dataset: String,
    table: String,
    column: String,
    value: Option<String>,
    #[serde(default)]
    apply: bool,
}

async fn rectify(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let request: RectifyBody = body(&bytes, &["dataset", "table", "column", "value", "apply"])?;
    let (case, _) = load(&desk, &id).await?;
    if case.right != Right::Rectification {
        return Err(ApiError::Conflict {
            field: "case".to_owned(),
            message: format!("a {} case is not rectified", case.right.as_str()),
        });
    }
    let file = desk.sites.privacy.clone();
    let spec = work::sql_datasets(&file)
        .find(|d| d.id == request.dataset)
        .ok_or_else(|| ApiError::field("dataset", "is not a SQL dataset of the privacy file"))?;
    let conn = desk.connectors.sql(&spec.connection).await?;
    let correction = kapsel_connect::Correction {
        table: request.table,
        column: request.column,
        value: request.value,
    };
    let subject = subject_of(&file, &case);
    let problem = |e: kapsel_connect::Error| match e {
        kapsel_connect::Error::Undeclared(what) => {
            ApiError::field("column", format!("{what} is not declared in the dataset"))
        }
        other => work::erasure::dataset_problem(&spec.id, &other),
    };
    if !request.apply {
        let preview = kapsel_connect::rectify_preview(spec, &conn, &subject, &correction)
            .await
            .map_err(problem)?;
        return Ok(Json(json!({ "preview": preview })));
    }
    if case.state != CaseState::InProgress {
        return Err(ApiError::Conflict {
            field: "state".to_owned(),
            message: "a correction is applied while the case is in progress (run it first)"
                .to_owned(),
        });
    }
    let applied = kapsel_connect::rectify(spec, &conn, &subject, &correction)
        .await
        .map_err(problem)?;
    let result = json!({
        "table": applied.table, "column": applied.column,
        "rows_found": applied.rows_found, "rows_changed": applied.rows_changed,
    });
    let step = work::record(&desk, &id, ADMIN, StepAction::Rectified, &spec.id, result).await?;
    Ok(Json(json!({ "applied": applied, "step": step })))
}
