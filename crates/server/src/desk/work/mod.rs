//! Carrying out a verified request in the operator's datasets, for the admin API and the
//! server's resume at start. One entry point, [`run`]: it moves a verified case to in
//! progress and does what the right asks, dataset by dataset, recording each step in the
//! case's hash-chained history before and after it changes anything:
//!
//! - access and portability ([`access`]): every SQL dataset read, the bundle made and kept;
//! - erasure ([`erasure`]): per SQL dataset a dry run (`erasure_planned`), then
//!   `erasure_started`, the erasure in one transaction, `erased` with its counts;
//! - restriction and objection ([`suppress`]): the requester's identifiers on the
//!   suppression list for the activity they named;
//! - webhook datasets ([`webhook`]): one signed request per case and action, its answer
//!   recorded; manual datasets: a checklist item until a person records `task_done`.
//!
//! A run is idempotent: what the history says is done is not done again, so a second run, or
//! the resume after a crash, finishes only what is missing. An erasure that was started but
//! not recorded as erased is run again; the connector's erasure changes nothing twice.

pub mod access;
pub mod dry_run;
pub mod erasure;
pub mod suppress;
pub mod webhook;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use kapsel_core::desk::{
    Case, CaseEvent, CaseEventKind, CaseState, NewCaseEvent, Right, StepAction,
};
use kapsel_core::privacy::{DatasetSpec, Engine, PrivacyFile};
use kapsel_store::{CaseError, CaseStore};

use super::{DeskState, TARGET_RULE};
use crate::error::ApiError;

/// The identifier kind every request carries.
const EMAIL: &str = "email";
/// The identifier kind of a consent receipt the requester gives, whose records go in their
/// access bundle.
pub const RECEIPT: &str = "receipt";

/// What a run did and what is left for a person.
#[derive(Debug, Serialize)]
pub struct RunReport {
    pub case_id: String,
    pub state: String,
    /// The steps this run recorded, in order.
    pub steps: Vec<StepView>,
    /// Manual datasets whose instructions a person still has to carry out.
    pub pending_tasks: Vec<PendingTask>,
    /// Art. 19: whom the operator must tell of an erasure, rectification or restriction — the
    /// recipients and processors the privacy file names for the activities concerned.
    pub recipients: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct PendingTask {
    pub dataset: String,
    pub instructions: String,
}

/// A recorded step, as the API shows it.
#[derive(Debug, Serialize)]
pub struct StepView {
    pub seq: i64,
    pub action: &'static str,
    pub dataset: String,
    pub result: Value,
}

impl StepView {
    pub fn of(event: &CaseEvent) -> Option<StepView> {
        match &event.kind {
            CaseEventKind::Step {
                action,
                dataset,
                result,
            } => Some(StepView {
                seq: event.seq,
                action: action.as_str(),
                dataset: dataset.clone(),
                result: serde_json::from_str(result).unwrap_or(Value::String(result.clone())),
            }),
            _ => None,
        }
    }
}

/// The case's history and the steps it holds, so each part asks "done already?".
pub struct History {
    pub events: Vec<CaseEvent>,
}

impl History {
    pub fn has(&self, action: StepAction, dataset: &str) -> bool {
        self.events.iter().any(|e| {
            matches!(&e.kind, CaseEventKind::Step { action: a, dataset: d, .. }
                if *a == action && d == dataset)
        })
    }
}

/// Records one step and returns its view.
pub async fn record(
    desk: &DeskState,
    case_id: &str,
    actor: &str,
    action: StepAction,
    dataset: &str,
    result: Value,
) -> Result<StepView, ApiError> {
    let event = NewCaseEvent {
        at_ms: desk.clock.now_ms(),
        actor: actor.to_owned(),
        kind: CaseEventKind::Step {
            action,
            dataset: dataset.to_owned(),
            result: result.to_string(),
        },
    };
    let (_, sealed) = desk
        .store
        .append_event(case_id, event, TARGET_RULE)
        .await
        .map_err(|e| case_problem(case_id, e))?;
    StepView::of(&sealed).ok_or_else(|| ApiError::internal("recording a step", "not a step"))
}

/// A case store error as the API says it: unknown case 404, a refused event 409.
pub fn case_problem(case_id: &str, error: CaseError) -> ApiError {
    match error {
        CaseError::UnknownCase(_) => ApiError::NotFound {
            what: format!("case `{case_id}`"),
        },
        CaseError::Refused { refused, .. } => ApiError::Conflict {
            field: "case".to_owned(),
            message: refused.to_string(),
        },
        other => ApiError::internal("the case store", other),
    }
}

/// The requester's identifiers the datasets may be searched by: the address and the declared
/// identifier kinds (and a receipt), never the free texts of a form.
pub fn subject_of(file: &PrivacyFile, case: &Case) -> BTreeMap<String, String> {
    let mut subject = BTreeMap::from([(EMAIL.to_owned(), case.email.clone())]);
    for (kind, value) in &case.identifiers {
        let declared = file.identifiers.iter().any(|i| i.id == *kind) || kind == RECEIPT;
        if declared && !value.trim().is_empty() {
            subject.insert(kind.clone(), value.trim().to_owned());
        }
    }
    subject
}

/// Runs case `case_id` as far as it can go without a person.
pub async fn run(desk: &DeskState, case_id: &str, actor: &str) -> Result<RunReport, ApiError> {
    let mut case = desk
        .store
        .case(case_id)
        .await
        .map_err(|e| case_problem(case_id, e))?;
    match case.state {
        CaseState::Verified => {
            let started = NewCaseEvent {
                at_ms: desk.clock.now_ms(),
                actor: actor.to_owned(),
                kind: CaseEventKind::Started,
            };
            case = desk
                .store
                .append_event(case_id, started, TARGET_RULE)
                .await
                .map_err(|e| case_problem(case_id, e))?
                .0;
        }
        CaseState::InProgress => {}
        other => {
            return Err(ApiError::Conflict {
                field: "state".to_owned(),
                message: format!(
                    "a case that is {other} is not run; it must be verified first (or still be in progress)"
                ),
            });
        }
    }
    let history = History {
        events: desk
            .store
            .events(case_id)
            .await
            .map_err(|e| case_problem(case_id, e))?,
    };
    let file = desk.sites.privacy.clone();
    let mut steps = Vec::new();
    match case.right {
        Right::Access | Right::Portability => {
            access::run(desk, &file, &case, &history, actor, &mut steps).await?;
        }
        Right::Erasure => erasure::run(desk, &file, &case, &history, actor, &mut steps).await?,
        Right::Restriction | Right::Objection => {
            suppress::run(desk, &case, &history, actor, &mut steps).await?;
        }
        // Rectification is applied by a person after looking at the preview
        // (`POST …/rectify`); withdrawal of consent is the banner's.
        Right::Rectification | Right::WithdrawConsent => {}
    }
    if matches!(
        case.right,
        Right::Access | Right::Portability | Right::Erasure
    ) {
        let action = if case.right == Right::Erasure {
            "erasure"
        } else {
            "access"
        };
        for dataset in file.datasets.iter().filter(|d| d.engine == Engine::Webhook) {
            if let Some(step) = webhook::call(desk, dataset, &case, &history, action, actor).await?
            {
                steps.push(step);
            }
        }
    }
    Ok(RunReport {
        case_id: case.id.clone(),
        state: desk
            .store
            .case(case_id)
            .await
            .map_err(|e| case_problem(case_id, e))?
            .state
            .as_str()
            .to_owned(),
        steps,
        pending_tasks: pending_tasks(&file, &history),
        recipients: recipients(&file, &case),
    })
}

/// Manual datasets without their `task_done`.
pub fn pending_tasks(file: &PrivacyFile, history: &History) -> Vec<PendingTask> {
    file.datasets
        .iter()
        .filter(|d| d.engine == Engine::Manual && !history.has(StepAction::TaskDone, &d.id))
        .map(|d| PendingTask {
            dataset: d.id.clone(),
            instructions: d.instructions.clone().unwrap_or_default(),
        })
        .collect()
}

/// One thing still missing before a case may be completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// A manual dataset whose task nobody has recorded as done.
    Task(String),
    /// A SQL dataset not erased yet.
    NotErased(String),
    /// The access bundle is not made yet.
    NoBundle,
    /// The restriction or objection is not on the suppression list yet.
    NoSuppression,
    /// A webhook dataset that has not answered with 2xx.
    Webhook(String),
}

/// The admin API's words.
impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Task(d) => write!(f, "manual dataset `{d}` has no task_done"),
            Missing::NotErased(d) => write!(f, "dataset `{d}` is not erased yet (run the case)"),
            Missing::NoBundle => f.write_str("the bundle has not been made (run the case)"),
            Missing::NoSuppression => f.write_str("the suppression is not recorded (run the case)"),
            Missing::Webhook(d) => write!(f, "webhook dataset `{d}` has not answered with 2xx"),
        }
    }
}

/// What is still missing before the case may be completed; empty when nothing is.
pub fn missing_before_completion(
    file: &PrivacyFile,
    case: &Case,
    history: &History,
) -> Vec<Missing> {
    let mut missing: Vec<Missing> = pending_tasks(file, history)
        .into_iter()
        .map(|t| Missing::Task(t.dataset))
        .collect();
    let sql = file.datasets.iter().filter(|d| d.engine.is_sql());
    match case.right {
        Right::Erasure => missing.extend(
            sql.filter(|d| !history.has(StepAction::Erased, &d.id))
                .map(|d| Missing::NotErased(d.id.clone())),
        ),
        Right::Access | Right::Portability => {
            if !history.has(StepAction::BundleReady, "") {
                missing.push(Missing::NoBundle);
            }
        }
        Right::Restriction | Right::Objection => {
            if !history.has(StepAction::Suppressed, "") {
                missing.push(Missing::NoSuppression);
            }
        }
        Right::Rectification | Right::WithdrawConsent => {}
    }
    if matches!(
        case.right,
        Right::Access | Right::Portability | Right::Erasure
    ) {
        missing.extend(
            file.datasets
                .iter()
                .filter(|d| d.engine == Engine::Webhook)
                .filter(|d| !webhook::answered(history, &d.id))
                .map(|d| Missing::Webhook(d.id.clone())),
        );
    }
    missing
}

/// The art. 19 recipients: for an erasure every activity a dataset field serves, for a
/// restriction or objection the activity named; the file's recipients and processors of each.
pub fn recipients(file: &PrivacyFile, case: &Case) -> Vec<String> {
    let activities: Vec<&str> = match case.right {
        Right::Erasure | Right::Rectification => file
            .datasets
            .iter()
            .flat_map(|d| d.tables.iter())
            .flat_map(|t| t.fields.values().map(|f| f.activity.as_str()))
            .collect(),
        Right::Restriction | Right::Objection => case
            .identifiers
            .get("activity")
            .map(String::as_str)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    let lang = kapsel_core::Lang::new(&case.lang);
    let mut names: Vec<String> = file
        .activities
        .iter()
        .filter(|a| activities.contains(&a.id.as_str()))
        .flat_map(|a| {
            let listed = a
                .recipients
                .as_ref()
                .and_then(|r| r.get(&lang, &file.languages))
                .map(str::to_owned);
            listed
                .into_iter()
                .chain(a.processors.iter().map(|p| p.name.clone()))
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `{ "table": rows, … }` for a step's result.
pub fn per_table(counts: impl IntoIterator<Item = (String, usize)>) -> Value {
    Value::Object(counts.into_iter().map(|(t, n)| (t, json!(n))).collect())
}

/// The SQL datasets, in file order.
pub fn sql_datasets(file: &PrivacyFile) -> impl Iterator<Item = &DatasetSpec> {
    file.datasets.iter().filter(|d| d.engine.is_sql())
}
