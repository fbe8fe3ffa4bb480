//! The admin API's actions on a case: each one event (with its notice mailed where the law
//! asks for one), a manual task done, or a rectification previewed or applied.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use kapsel_core::desk::token::{DEFAULT_STATUS_TTL_MS, TokenPurpose};
use kapsel_core::desk::{
    Case, CaseEventKind, CaseState, ErasureGround, NewCaseEvent, Right, StepAction, VerifyMethod,
};
use kapsel_core::privacy::Engine;
use kapsel_store::{Bundles, CaseStore, DeskLinks};

use super::{ADMIN, body, case_json, load};
use crate::desk::work::{self, case_problem, subject_of};
use crate::desk::{DeskState, TARGET_RULE, mail};
use crate::error::ApiError;
use crate::extract::AdminBearer;

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

pub(super) async fn verify(
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

pub(super) async fn extend(
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

pub(super) async fn refuse(
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

pub(super) async fn complete(
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
    if case.state == CaseState::InProgress
        && matches!(case.right, Right::Access | Right::Portability)
    {
        start_download_period(&desk, &case).await?;
    }
    let case = act(&desk, &id, CaseEventKind::Completed).await?;
    let link = status_link(&desk, &case).await?;
    mail::send_completed(&desk, &case, &link).await?;
    Ok(answer(&desk, &case))
}

/// The bundle can be downloaded for the whole period from the answer on; a bundle that
/// expired before the case was completed must be made again.
async fn start_download_period(desk: &DeskState, case: &Case) -> Result<(), ApiError> {
    let now = desk.clock.now_ms();
    let Some(mut bundle) = desk
        .store
        .bundle(&case.id, now)
        .await
        .map_err(|e| ApiError::internal("reading the bundle", e))?
    else {
        return Err(ApiError::Conflict {
            field: "case".to_owned(),
            message: "the access bundle has expired before the answer; run the case again"
                .to_owned(),
        });
    };
    bundle.expires_ms = now.saturating_add(desk.bundle_ttl_ms);
    desk.store
        .put_bundle(&bundle)
        .await
        .map_err(|e| ApiError::internal("keeping the access bundle", e))
}

#[derive(Deserialize)]
struct QuestionBody {
    question: String,
}

pub(super) async fn pause(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let QuestionBody { question } = body(&bytes, &["question"])?;
    let case = act(&desk, &id, CaseEventKind::Paused { question }).await?;
    Ok(answer(&desk, &case))
}

pub(super) async fn resume(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    body::<Value>(&bytes, &[])?;
    let case = act(&desk, &id, CaseEventKind::Resumed).await?;
    Ok(answer(&desk, &case))
}

pub(super) async fn withdraw(
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

pub(super) async fn note(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let TextBody { text } = body(&bytes, &["text"])?;
    let case = act(&desk, &id, CaseEventKind::Note { text }).await?;
    Ok(answer(&desk, &case))
}

pub(super) async fn task_done(
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

pub(super) async fn rectify(
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
