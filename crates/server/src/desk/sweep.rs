//! Keeping case work whole between requests: at start and then every `lapse_interval`, an
//! erasure a crash interrupted (a dataset with `erasure_started` and no `erased`) is run again
//! by `system` — [`super::work`] finishes only what is missing — and access bundles past their
//! expiry are deleted. Resuming takes the `desk-sweep` lease first, so of several instances on
//! one store only one resumes at a time. Also the desk's gauges for `/metrics`: open cases, overdue ones, and
//! the fewest days left to a legal deadline.

use std::sync::Arc;

use kapsel_core::deadline::{self, DueStatus};
use kapsel_core::desk::{CaseEventKind, CaseState, Right, StepAction};
use kapsel_store::{Bundles, CaseStore, Leases};
use tokio_util::sync::CancellationToken;

use super::DeskState;
use super::work::{self, History};

/// Open cases looked at per round.
const ROUND_LIMIT: i64 = 10_000;
/// The lease of resuming interrupted erasures.
const LEASE: &str = "desk-sweep";

pub async fn run(state: Arc<DeskState>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(state.lapse_interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = every.tick() => {}
        }
        if let Err(error) = round(&state).await {
            tracing::warn!(%error, "desk sweep failed");
        }
    }
}

/// Whether an erasure was started in some dataset and not recorded as finished.
fn interrupted(history: &History) -> bool {
    history.events.iter().any(|e| match &e.kind {
        CaseEventKind::Step {
            action: StepAction::ErasureStarted,
            dataset,
            ..
        } => !history.has(StepAction::Erased, dataset),
        _ => false,
    })
}

async fn round(state: &DeskState) -> Result<(), String> {
    let now = state.clock.now_ms();
    let deleted = state
        .store
        .delete_expired_bundles(now)
        .await
        .map_err(|e| e.to_string())?;
    if deleted > 0 {
        tracing::info!(deleted, "expired access bundles deleted");
    }
    let open = state
        .store
        .open_cases_by_deadline(ROUND_LIMIT)
        .await
        .map_err(|e| e.to_string())?;
    // Held for a few rounds, renewed every round by its holder: a killed holder's lease
    // expires and another instance takes over.
    let ttl = i64::try_from(state.lapse_interval.as_millis().saturating_mul(3)).unwrap_or(i64::MAX);
    let resume = state
        .store
        .take_lease(LEASE, &state.instance, now, ttl)
        .await
        .map_err(|e| e.to_string())?;
    let mut overdue = 0u32;
    let mut fewest_days: Option<i64> = None;
    for case in &open {
        match case
            .dates
            .deadlines(case.received_ms)
            .and_then(|d| deadline::status(&d, now).ok())
        {
            Some(DueStatus::Overdue { .. }) => overdue += 1,
            Some(DueStatus::DueToday) => fewest_days = Some(0),
            Some(DueStatus::DueThisWeek { days_left } | DueStatus::OnTrack { days_left }) => {
                let days = days_left;
                fewest_days = Some(fewest_days.map_or(days, |f| f.min(days)));
            }
            None => {}
        }
        if !resume || case.state != CaseState::InProgress || case.right != Right::Erasure {
            continue;
        }
        let events = state
            .store
            .events(&case.id)
            .await
            .map_err(|e| e.to_string())?;
        if interrupted(&History { events }) {
            match work::run(state, &case.id, "system").await {
                Ok(report) => {
                    tracing::info!(case = %case.id, steps = report.steps.len(), "interrupted erasure resumed")
                }
                Err(error) => {
                    tracing::warn!(case = %case.id, %error, "interrupted erasure could not resume")
                }
            }
        }
    }
    metrics::gauge!("kapsel_desk_open_cases").set(open.len() as f64);
    metrics::gauge!("kapsel_desk_overdue_cases").set(f64::from(overdue));
    if let Some(days) = fewest_days {
        metrics::gauge!("kapsel_desk_days_to_next_deadline").set(days as f64);
    }
    Ok(())
}
