//! Unverified requests lapse: a request whose address was never confirmed is closed as
//! `lapsed` once its lapse time has come (seven days after the day of receipt, Kapsel's rule;
//! `kapsel_core::deadline::lapses_at_ms`). Every `lapse_interval` one round appends a `lapsed`
//! event, by `system`, to each such case, on the injected clock, until the shutdown token fires.
//! A case verified in between is refused by the transition table and left as it is.

use std::sync::Arc;

use kapsel_core::deadline::TargetRule;
use kapsel_core::desk::{CaseEventKind, NewCaseEvent};
use kapsel_store::{CaseError, CaseStore};
use tokio_util::sync::CancellationToken;

use super::DeskState;

/// Cases per round.
const ROUND_LIMIT: i64 = 100;

/// Runs lapse rounds every `state.lapse_interval` until `shutdown`.
pub async fn run(state: Arc<DeskState>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(state.lapse_interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = every.tick() => {}
        }
        match lapse_due(&state).await {
            Ok(0) => {}
            Ok(lapsed) => tracing::info!(lapsed, "unverified requests lapsed"),
            Err(error) => tracing::warn!(%error, "lapse round failed"),
        }
    }
}

/// One round: how many cases lapsed.
async fn lapse_due(state: &DeskState) -> Result<usize, CaseError> {
    let now_ms = state.clock.now_ms();
    let mut lapsed = 0;
    for case_id in state.store.lapsed_unverified(now_ms, ROUND_LIMIT).await? {
        let event = NewCaseEvent {
            at_ms: now_ms,
            actor: "system".to_owned(),
            kind: CaseEventKind::Lapsed,
        };
        // The target rule matters only for extensions; a lapse never moves a date.
        match state
            .store
            .append_event(&case_id, event, TargetRule::SameDate)
            .await
        {
            Ok(_) => lapsed += 1,
            Err(refused @ CaseError::Refused { .. }) => {
                tracing::debug!(%refused, "not lapsed: the case moved on");
            }
            Err(error) => return Err(error),
        }
    }
    Ok(lapsed)
}
