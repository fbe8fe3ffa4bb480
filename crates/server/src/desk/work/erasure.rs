//! Erasure (art. 17) in every SQL dataset, in an order a crash cannot confuse:
//!
//! 1. `erasure_planned` with the dry run's counts (once per dataset: the first plan is the
//!    prediction the history keeps);
//! 2. `erasure_started`, then the erasure in one transaction of the operator's database;
//! 3. `erased` with what the transaction did.
//!
//! An active legal hold of the retention engine on a dataset, or on the requester (any of their
//! identifiers' keyed hashes), refuses the run before anything is written: the data must be
//! kept, and the lead either waits for the hold to end or refuses the erasure (art. 17(3)(e)).
//!
//! A dataset with `erased` is skipped. One with `erasure_started` and no `erased` crashed (or
//! failed) between 2 and 3: it is erased again, which changes only what is still there (the
//! connector's erasure is idempotent), and `erased` records that it resumed.

use serde_json::json;

use kapsel_core::desk::{Case, StepAction, iso_date};
use kapsel_core::privacy::{Erasure, PrivacyFile};
use kapsel_core::retention::hold::HoldScope;
use kapsel_store::Retention;

use super::suppress::subject_hashes;
use super::{History, StepView, record, sql_datasets, subject_of};
use crate::desk::DeskState;
use crate::error::ApiError;

pub async fn run(
    desk: &DeskState,
    file: &PrivacyFile,
    case: &Case,
    history: &History,
    actor: &str,
    steps: &mut Vec<StepView>,
) -> Result<(), ApiError> {
    let subject = subject_of(file, case);
    let hashes = sql_datasets(file).any(|d| {
        d.tables
            .iter()
            .any(|t| t.fields.values().any(|f| f.erasure == Erasure::KeyedHash))
    });
    let key = match &desk.key {
        Some(key) => key.expose().as_bytes(),
        None if hashes => {
            return Err(ApiError::Conflict {
                field: "desk.key".to_owned(),
                message: "the datasets replace fields by a keyed hash, but the settings have \
                          no [desk] key"
                    .to_owned(),
            });
        }
        None => &[],
    };
    refuse_if_held(desk, file, &subject_hashes(key, &subject)).await?;
    for spec in sql_datasets(file) {
        if history.has(StepAction::Erased, &spec.id) {
            continue;
        }
        let conn = desk.connectors.sql(&spec.connection).await?;
        if !history.has(StepAction::ErasurePlanned, &spec.id) {
            let plan = kapsel_connect::erasure_plan(spec, &conn, &subject)
                .await
                .map_err(|e| dataset_problem(&spec.id, &e))?;
            let result = serde_json::to_value(&plan.tables)
                .map_err(|e| ApiError::internal("the erasure plan", e))?;
            steps.push(
                record(
                    desk,
                    &case.id,
                    actor,
                    StepAction::ErasurePlanned,
                    &spec.id,
                    result,
                )
                .await?,
            );
        }
        let resumed = history.has(StepAction::ErasureStarted, &spec.id);
        if !resumed {
            steps.push(
                record(
                    desk,
                    &case.id,
                    actor,
                    StepAction::ErasureStarted,
                    &spec.id,
                    json!({}),
                )
                .await?,
            );
        }
        let outcome = kapsel_connect::erase(spec, &conn, &subject, key)
            .await
            .map_err(|e| dataset_problem(&spec.id, &e))?;
        let result = json!({ "tables": outcome.tables, "resumed": resumed });
        steps.push(record(desk, &case.id, actor, StepAction::Erased, &spec.id, result).await?);
    }
    Ok(())
}

/// Refuses (409, naming the hold) when an active hold is on one of the SQL datasets or on the
/// requester. Without a desk key no subject can be matched; subject holds need one.
async fn refuse_if_held(
    desk: &DeskState,
    file: &PrivacyFile,
    hashes: &[String],
) -> Result<(), ApiError> {
    let now = desk.clock.now_ms();
    let holds = desk
        .store
        .holds()
        .await
        .map_err(|e| ApiError::internal("reading the legal holds", e))?;
    for hold in holds.iter().filter(|h| h.active_at(now)) {
        let what = match &hold.scope {
            HoldScope::Dataset { dataset } if sql_datasets(file).any(|d| &d.id == dataset) => {
                format!("dataset `{dataset}`")
            }
            HoldScope::Subject { hashes: held, .. }
                if desk.key.is_some() && held.iter().any(|h| hashes.contains(h)) =>
            {
                "the requester's data".to_owned()
            }
            _ => continue,
        };
        let until = kapsel_core::calendar::oslo_date_of(hold.expires_ms - 1)
            .map(iso_date)
            .unwrap_or_default();
        return Err(ApiError::Conflict {
            field: format!("holds.{}", hold.id),
            message: format!(
                "legal hold {} keeps {what} until {until} ({}; owner {}): wait for it to end \
                 or refuse the erasure under art. 17(3)(e)",
                hold.id, hold.reason, hold.owner
            ),
        });
    }
    Ok(())
}

/// A connector failure as a problem naming the dataset; nothing of a URL in it.
pub fn dataset_problem(dataset: &str, error: &kapsel_connect::Error) -> ApiError {
    tracing::warn!(dataset, %error, "a dataset could not be worked on");
    ApiError::Conflict {
        field: format!("datasets.{dataset}"),
        message: error.without_secrets(),
    }
}
