//! The desk's mail delivery: every few seconds one `kapsel_mail::deliver_due` round over the
//! store's outbox, on the injected clock, until the shutdown token fires. Without a relay the
//! round marks messages kept, for `kapsel outbox`.

use std::sync::Arc;

use kapsel_mail::{RetryPolicy, Sender};
use tokio_util::sync::CancellationToken;

use super::DeskState;

/// Messages per round.
const ROUND_LIMIT: i64 = 50;

/// Runs delivery rounds every `state.delivery_interval` until `shutdown`.
pub async fn run(state: Arc<DeskState>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(state.delivery_interval);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let fallback = Sender::unconfigured().ok();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = every.tick() => {}
        }
        let (smtp, sender) = match &state.mail {
            Some(mail) => (mail.smtp.as_ref(), Some(&mail.sender)),
            None => (None, fallback.as_ref()),
        };
        let Some(sender) = sender else {
            continue;
        };
        let round = kapsel_mail::deliver_due(
            &state.store,
            smtp,
            sender,
            RetryPolicy::default(),
            state.clock.as_ref(),
            state.random.as_ref(),
            ROUND_LIMIT,
        )
        .await;
        match round {
            Ok(round) if round.sent + round.failed + round.dead + round.kept > 0 => {
                tracing::info!(
                    sent = round.sent,
                    failed = round.failed,
                    dead = round.dead,
                    kept = round.kept,
                    "outbox round"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "outbox round failed"),
        }
    }
}
