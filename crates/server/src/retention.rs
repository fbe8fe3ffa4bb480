//! The retention engine on the server's schedule: every `[jobs] retention_minutes`, each
//! `[[retention]]` rule of the privacy file is run by `kapsel_jobs::Runner` under its lease
//! (held by this instance's chain id, so of several instances on one store one runs a rule at a
//! time, and a restarted instance takes its own lease back at once), at most
//! `retention_round_batches` batches a round, never past the safety limit (the server never
//! confirms). Holds that expire within [`REMIND_BEFORE_MS`] are reminded to their owner by mail,
//! once. With `[ledger] proof_period` the consent ledger is pruned too, at the first round and
//! then daily. The rounds' outcomes are metrics per rule.

use std::sync::Arc;
use std::time::Duration;

use kapsel_core::Lang;
use kapsel_core::calendar::oslo_date_of;
use kapsel_core::retention::hold::Hold;
use kapsel_core::signing::SigningKey;
use kapsel_jobs::ledger_prune::prune_ledger;
use kapsel_jobs::{RunOptions, Runner};
use kapsel_mail::Outgoing;
use kapsel_store::{Leases, Outbox, Retention};
use tokio_util::sync::CancellationToken;

use crate::desk::DeskState;

/// How long before its expiry a hold's owner is reminded.
pub const REMIND_BEFORE_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// The schedule and how each round runs.
#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// Time between rounds; `None` runs none (only `kapsel retention run`).
    pub every: Option<Duration>,
    /// Batch size, pause, safety limit, batches per round and lease; `actor`, `holder` and
    /// `confirm` are the server's own.
    pub options: RunOptions,
    /// The consent ledger's proof period (`[ledger] proof_period`): with it, the first round
    /// and then one a day also prune the ledger (`kapsel_jobs::ledger_prune`), sealed with the
    /// server's signing key.
    pub ledger_proof: Option<kapsel_core::privacy::Duration>,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            every: None,
            options: RunOptions {
                max_batches: Some(100),
                ..RunOptions::default()
            },
            ledger_proof: None,
        }
    }
}

/// How often the ledger is pruned: each prune verifies every chain first.
const LEDGER_PRUNE_EVERY_MS: i64 = 24 * 60 * 60 * 1000;

/// The retention runner on the server's store, clock, privacy file and connections (the
/// schedule's and the console's dry run's).
pub fn runner(desk: &DeskState) -> Runner {
    Runner {
        store: desk.store.clone(),
        clock: desk.clock.clone(),
        file: desk.sites.privacy.clone(),
        connectors: desk.connectors.urls(),
        key: desk
            .key
            .as_ref()
            .map(|k| k.expose().as_bytes().to_vec())
            .unwrap_or_default(),
    }
}

pub async fn run(
    desk: Arc<DeskState>,
    signing_key: Arc<SigningKey>,
    config: RetentionConfig,
    shutdown: CancellationToken,
) {
    let Some(every) = config.every else { return };
    let mut options = config.options;
    options.actor = "server".into();
    options.holder.clone_from(&desk.instance);
    options.confirm = false;
    let runner = runner(&desk);
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pruned_at: Option<i64> = None;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tick.tick() => {}
        }
        round(&desk, &runner, &options, every).await;
        let now = desk.clock.now_ms();
        if let Some(proof) = config.ledger_proof
            && pruned_at.is_none_or(|at| now - at >= LEDGER_PRUNE_EVERY_MS)
        {
            pruned_at = Some(now);
            // Of several instances on one store, one prunes at a time.
            let lease = "retention:consent-ledger";
            match desk
                .store
                .take_lease(lease, &desk.instance, now, 3_600_000)
                .await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(%error, "the ledger prune's lease could not be taken");
                    continue;
                }
            }
            let mut say = |line: String| tracing::info!("ledger prune: {line}");
            let pruned = prune_ledger(&desk.store, Some(&signing_key), proof, now, &mut say).await;
            let _ = desk.store.release_lease(lease, &desk.instance).await;
            match pruned {
                Ok(done) => {
                    metrics::counter!(
                        "kapsel_retention_rows_disposed_total",
                        "rule" => "kapsel-consent-ledger"
                    )
                    .increment(done.removed);
                    if done.refused > 0 {
                        tracing::warn!(
                            chains = done.refused,
                            "ledger chains not pruned: they do not verify"
                        );
                    }
                }
                Err(error) => tracing::warn!(%error, "pruning the consent ledger failed"),
            }
        }
    }
}

/// One round: every rule, Kapsel's own data (`kapsel_jobs::own_data`), then the reminders.
pub async fn round(desk: &DeskState, runner: &Runner, options: &RunOptions, every: Duration) {
    for rule in runner.rules(None) {
        let id = rule.id.clone();
        match runner.run(rule, options).await {
            Ok(report) => {
                let disposed = report.deleted + report.anonymised;
                metrics::counter!("kapsel_retention_rows_disposed_total", "rule" => id.clone())
                    .increment(disposed);
                metrics::gauge!("kapsel_retention_rows_held", "rule" => id.clone())
                    .set(report.held as f64);
                let stopped = report.stopped.as_deref().unwrap_or("");
                if report.stopped.as_deref() != Some("lease") {
                    metrics::gauge!("kapsel_retention_last_run_seconds", "rule" => id.clone())
                        .set(seconds(desk.clock.now_ms()));
                }
                if !stopped.is_empty() && stopped != "lease" && stopped != "batch_limit" {
                    tracing::warn!(rule = %id, stopped, "retention rule stopped");
                }
                metrics::gauge!("kapsel_retention_waiting", "rule" => id.clone()).set(f64::from(
                    u8::from(stopped == "safety_limit" || stopped == "held"),
                ));
            }
            Err(error) => {
                tracing::warn!(rule = %id, %error, "retention rule failed");
                metrics::counter!("kapsel_retention_failures_total", "rule" => id.clone())
                    .increment(1);
            }
        }
        let next = desk.clock.now_ms() + i64::try_from(every.as_millis()).unwrap_or(i64::MAX / 2);
        metrics::gauge!("kapsel_retention_next_run_seconds", "rule" => id).set(seconds(next));
    }
    match runner.dispose_own(options).await {
        Ok(done) => {
            for own in done {
                metrics::counter!("kapsel_retention_rows_disposed_total", "rule" => own.kind)
                    .increment(own.rows);
            }
        }
        Err(error) => tracing::warn!(%error, "disposing of Kapsel's own data failed"),
    }
    if let Err(error) = remind(desk).await {
        tracing::warn!(%error, "hold reminders failed");
    }
}

fn seconds(ms: i64) -> f64 {
    // Instants are far below 2^53 ms.
    #[allow(clippy::cast_precision_loss)]
    let s = ms as f64 / 1000.0;
    s
}

/// Mails each active hold that expires within [`REMIND_BEFORE_MS`] and was not reminded yet to
/// its owner (when the owner is an address), in the privacy file's first language.
async fn remind(desk: &DeskState) -> Result<(), String> {
    let now = desk.clock.now_ms();
    let holds = desk.store.holds().await.map_err(|e| e.to_string())?;
    let due: Vec<&Hold> = holds
        .iter()
        .filter(|h| h.active_at(now) && h.reminded_ms.is_none())
        .filter(|h| h.expires_ms - now <= REMIND_BEFORE_MS)
        .collect();
    metrics::gauge!("kapsel_retention_holds_expiring").set(due.len() as f64);
    let lang = desk
        .sites
        .privacy
        .languages
        .first()
        .map_or_else(|| "nb".to_owned(), |l: &Lang| l.as_str().to_owned());
    for hold in due {
        if hold.owner.contains('@') {
            let (subject, body) = reminder(&lang);
            // The hold lasts until its expiry; the last day it holds is the day before.
            let last_day = oslo_date_of(hold.expires_ms - 1)
                .map(kapsel_core::desk::iso_date)
                .unwrap_or_default();
            let fill = |text: &str| {
                text.replace("{id}", &hold.id)
                    .replace("{date}", &last_day)
                    .replace(
                        "{scope}",
                        &format!("{} {}", hold.scope.name(), hold.scope.target()),
                    )
                    .replace("{reason}", &hold.reason)
            };
            let outgoing = Outgoing {
                to: hold.owner.clone(),
                subject: fill(subject),
                body_text: fill(body),
                template: "hold-reminder".to_owned(),
                case_id: None,
            };
            let sender = desk.sender().map_err(|e| format!("{e:?}"))?;
            let mail = kapsel_mail::compose(outgoing, &sender, now, desk.random.as_ref())
                .map_err(|e| e.to_string())?;
            desk.store.enqueue(mail).await.map_err(|e| e.to_string())?;
        } else {
            tracing::warn!(hold = %hold.id, owner = %hold.owner, "a legal hold expires soon; its owner is not a mail address");
        }
        desk.store
            .mark_hold_reminded(&hold.id, now)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The reminder's subject and body: `{id}`, `{date}` (the hold's last day), `{scope}`,
/// `{reason}`.
fn reminder(lang: &str) -> (&'static str, &'static str) {
    match lang {
        "nn" => (
            "Sletteforbodet {id} gjeld til og med {date}",
            "Hei,\n\nSletteforbodet {id} ({scope}), som du er ansvarleg for, gjeld til og med {date}.\nGrunngjeving: {reason}\n\nEtter det blir dataa sletta eller anonymiserte etter dei vanlege lagringsreglane. Skal dei framleis takast vare på, må du leggje inn eit nytt sletteforbod før den tid.\n",
        ),
        "en" => (
            "Legal hold {id} ends after {date}",
            "Hello,\n\nThe legal hold {id} ({scope}), which you are responsible for, lasts until and including {date}.\nThe reason: {reason}\n\nAfter that, the data is deleted or anonymised under the usual retention rules. If it must be kept longer, place a new hold before then.\n",
        ),
        _ => (
            "Sletteforbudet {id} gjelder til og med {date}",
            "Hei,\n\nSletteforbudet {id} ({scope}), som du er ansvarlig for, gjelder til og med {date}.\nBegrunnelse: {reason}\n\nDeretter blir dataene slettet eller anonymisert etter de vanlige lagringsreglene. Skal de fortsatt oppbevares, må du legge inn et nytt sletteforbud før den tid.\n",
        ),
    }
}
