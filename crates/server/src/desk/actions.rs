//! What a person does to a case, whoever asks: the admin API (as `admin`) and the console (as
//! the signed-in account). Each action is one event checked by `kapsel_core::desk`'s rules,
//! with its notice mailed where the law asks for one; a refused action writes nothing.

use serde_json::json;

use kapsel_core::desk::token::{DEFAULT_STATUS_TTL_MS, TokenPurpose};
use kapsel_core::desk::{
    Case, CaseEventKind, CaseState, ErasureGround, NewCaseEvent, Right, StepAction, VerifyMethod,
    next_state,
};
use kapsel_core::privacy::Engine;
use kapsel_store::{Bundles, CaseStore, DeskLinks};

use super::work::{self, History, StepView, case_problem};
use super::{DeskState, TARGET_RULE, mail};
use crate::error::ApiError;

/// One action on a case.
#[derive(Debug, Clone)]
pub enum CaseAction {
    /// Identity verified by other means than the link, with how.
    Verify {
        note: String,
    },
    /// The art. 12(3) extension: months and why; the requester is told.
    Extend {
        months: u32,
        reason: String,
    },
    /// The art. 12(4) refusal, with the ground when it is erasure's art. 17(3); the requester
    /// is told of their right to complain.
    Refuse {
        reason: String,
        ground: Option<ErasureGround>,
    },
    /// The answer; refused while anything is left.
    Complete,
    /// Waiting for the requester's answer to a question.
    Pause {
        question: String,
    },
    Resume,
    /// The requester withdrew the request.
    Withdraw,
    Note {
        text: String,
    },
}

impl CaseAction {
    /// The event the action appends.
    pub fn event(&self) -> CaseEventKind {
        match self.clone() {
            CaseAction::Verify { note } => CaseEventKind::Verified {
                method: VerifyMethod::OtherMeans,
                note,
            },
            CaseAction::Extend { months, reason } => CaseEventKind::Extended { months, reason },
            CaseAction::Refuse { reason, ground } => CaseEventKind::Refused { reason, ground },
            CaseAction::Complete => CaseEventKind::Completed,
            CaseAction::Pause { question } => CaseEventKind::Paused { question },
            CaseAction::Resume => CaseEventKind::Resumed,
            CaseAction::Withdraw => CaseEventKind::Withdrawn,
            CaseAction::Note { text } => CaseEventKind::Note { text },
        }
    }

    /// Whether a case in `state` takes the action (the one table of transitions decides).
    pub fn allowed_in(&self, state: CaseState) -> bool {
        next_state(state, &self.event()).is_ok()
    }

    /// The action's name in routes, forms and the audit log.
    pub fn name(&self) -> &'static str {
        match self {
            CaseAction::Verify { .. } => "verify",
            CaseAction::Extend { .. } => "extend",
            CaseAction::Refuse { .. } => "refuse",
            CaseAction::Complete => "complete",
            CaseAction::Pause { .. } => "pause",
            CaseAction::Resume => "resume",
            CaseAction::Withdraw => "withdraw",
            CaseAction::Note { .. } => "note",
        }
    }
}

/// Parses an erasure ground by name, naming the allowed ones when it is none of them.
pub fn ground(name: &str) -> Result<ErasureGround, ApiError> {
    ErasureGround::parse(name).ok_or_else(|| {
        let names: Vec<&str> = ErasureGround::ALL.iter().map(|g| g.as_str()).collect();
        ApiError::field("ground", format!("must be one of {}", names.join(", ")))
    })
}

/// Carries out `action` on case `id` as `actor`, and answers with the case after it.
pub async fn carry_out(
    desk: &DeskState,
    id: &str,
    actor: &str,
    action: CaseAction,
) -> Result<Case, ApiError> {
    if let CaseAction::Complete = action {
        return complete(desk, id, actor).await;
    }
    let case = append(desk, id, actor, action.event()).await?;
    match action {
        CaseAction::Verify { .. } => {
            let link = status_link(desk, &case).await?;
            mail::send_verified(desk, &case, &link).await?;
        }
        CaseAction::Extend { months, reason } => {
            let link = status_link(desk, &case).await?;
            mail::send_extended(desk, &case, months, &reason, &link).await?;
        }
        CaseAction::Refuse { reason, ground } => {
            mail::send_refused(desk, &case, &reason, ground).await?;
        }
        _ => {}
    }
    Ok(case)
}

/// Records that a person carried out a manual dataset's instructions for the case.
pub async fn task_done(
    desk: &DeskState,
    id: &str,
    actor: &str,
    dataset: &str,
    note: &str,
) -> Result<StepView, ApiError> {
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
    work::record(
        desk,
        id,
        actor,
        StepAction::TaskDone,
        dataset,
        json!({ "note": note }),
    )
    .await
}

/// The case and its history.
pub async fn load(desk: &DeskState, id: &str) -> Result<(Case, History), ApiError> {
    let case = desk.store.case(id).await.map_err(|e| case_problem(id, e))?;
    let events = desk
        .store
        .events(id)
        .await
        .map_err(|e| case_problem(id, e))?;
    Ok((case, History { events }))
}

async fn append(
    desk: &DeskState,
    id: &str,
    actor: &str,
    kind: CaseEventKind,
) -> Result<Case, ApiError> {
    let event = NewCaseEvent {
        at_ms: desk.clock.now_ms(),
        actor: actor.to_owned(),
        kind,
    };
    Ok(desk
        .store
        .append_event(id, event, TARGET_RULE)
        .await
        .map_err(|e| case_problem(id, e))?
        .0)
}

async fn complete(desk: &DeskState, id: &str, actor: &str) -> Result<Case, ApiError> {
    let (case, history) = load(desk, id).await?;
    if case.state == CaseState::InProgress {
        let missing = work::missing_before_completion(&desk.sites.privacy, &case, &history);
        if !missing.is_empty() {
            return Err(ApiError::Conflict {
                field: "case".to_owned(),
                message: format!(
                    "not everything is done: {}",
                    missing
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            });
        }
    }
    if case.state == CaseState::InProgress
        && matches!(case.right, Right::Access | Right::Portability)
    {
        start_download_period(desk, &case).await?;
    }
    let case = append(desk, id, actor, CaseEventKind::Completed).await?;
    let link = status_link(desk, &case).await?;
    mail::send_completed(desk, &case, &link).await?;
    Ok(case)
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
