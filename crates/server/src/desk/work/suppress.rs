//! Restriction (art. 18) and objection (art. 21): the requester's identifiers, each as a keyed
//! hash under the desk's key, on the suppression list for the activity they named. The
//! retention engine and the event gate look a subject up there before they use its data for
//! that activity. Recorded once as a `suppressed` step with the activity, the kind and how
//! many identifiers were listed (never which).

use serde_json::json;

use kapsel_connect::identifier_hash;
use kapsel_core::desk::{Case, Right, StepAction};
use kapsel_store::{Suppression, Suppressions};

use super::{History, StepView, record, subject_of};
use crate::desk::DeskState;
use crate::error::ApiError;

pub async fn run(
    desk: &DeskState,
    case: &Case,
    history: &History,
    actor: &str,
    steps: &mut Vec<StepView>,
) -> Result<(), ApiError> {
    if history.has(StepAction::Suppressed, "") {
        return Ok(());
    }
    let Some(key) = &desk.key else {
        return Err(ApiError::Conflict {
            field: "desk.key".to_owned(),
            message: "the suppression list keeps keyed hashes, but the settings have no [desk] key"
                .to_owned(),
        });
    };
    let Some(activity) = case.identifiers.get("activity") else {
        return Err(ApiError::Conflict {
            field: "activity".to_owned(),
            message: "the request names no activity".to_owned(),
        });
    };
    let kind = if case.right == Right::Restriction {
        "restriction"
    } else {
        "objection"
    };
    let now = desk.clock.now_ms();
    let mut listed = 0;
    for hash in subject_hashes(
        key.expose().as_bytes(),
        &subject_of(&desk.sites.privacy, case),
    ) {
        let entry = Suppression {
            subject_hash: hash,
            activity: activity.clone(),
            kind: kind.to_owned(),
            case_id: case.id.clone(),
            created_ms: now,
        };
        desk.store
            .suppress(&entry)
            .await
            .map_err(|e| ApiError::internal("the suppression list", e))?;
        listed += 1;
    }
    steps.push(
        record(
            desk,
            &case.id,
            actor,
            StepAction::Suppressed,
            "",
            json!({ "activity": activity, "kind": kind, "identifiers": listed }),
        )
        .await?,
    );
    Ok(())
}

/// The keyed hash of each identifier, as `kind:value` with the value trimmed (and an address
/// lower-cased), so that the gate and the retention engine find the same entry from the same
/// identifier.
pub fn subject_hashes(
    key: &[u8],
    subject: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    subject
        .iter()
        .map(|(kind, value)| identifier_hash(key, kind, value))
        .collect()
}
