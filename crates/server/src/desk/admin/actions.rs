//! The admin API's actions on a case: the JSON bodies of [`crate::desk::actions`], and a
//! rectification previewed or applied.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use kapsel_core::desk::{CaseState, Right, StepAction};

use super::{ADMIN, body, case_json, load};
use crate::desk::DeskState;
use crate::desk::actions::{self, CaseAction};
use crate::desk::work::{self, subject_of};
use crate::error::ApiError;
use crate::extract::AdminBearer;

/// Carries out the action by the admin and answers with the case after it.
async fn act(desk: &DeskState, id: &str, action: CaseAction) -> Result<Json<Value>, ApiError> {
    let case = actions::carry_out(desk, id, ADMIN, action).await?;
    Ok(Json(
        json!({ "case": case_json(&case, desk.clock.now_ms()) }),
    ))
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
    act(&desk, &id, CaseAction::Verify { note }).await
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
    act(&desk, &id, CaseAction::Extend { months, reason }).await
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
    let ground = ground.as_deref().map(actions::ground).transpose()?;
    act(&desk, &id, CaseAction::Refuse { reason, ground }).await
}

pub(super) async fn complete(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    body::<Value>(&bytes, &[])?;
    act(&desk, &id, CaseAction::Complete).await
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
    act(&desk, &id, CaseAction::Pause { question }).await
}

pub(super) async fn resume(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    body::<Value>(&bytes, &[])?;
    act(&desk, &id, CaseAction::Resume).await
}

pub(super) async fn withdraw(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    body::<Value>(&bytes, &[])?;
    act(&desk, &id, CaseAction::Withdraw).await
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
    act(&desk, &id, CaseAction::Note { text }).await
}

pub(super) async fn task_done(
    State(desk): State<Arc<DeskState>>,
    _admin: AdminBearer,
    Path((id, dataset)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let NoteBody { note } = body(&bytes, &["note"])?;
    let step = actions::task_done(&desk, &id, ADMIN, &dataset, &note).await?;
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
