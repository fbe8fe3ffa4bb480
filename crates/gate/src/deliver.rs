//! The delivery worker of one destination. Under the lease `gate:<destination>` (so of several
//! instances on one store one delivers to a destination at a time), a round:
//!
//! 1. takes the due events (pending, or failed and due again) from the outbox;
//! 2. judges each *now*: the receipt's current state from the ledger (a withdrawal recorded
//!    after the event blocks it), trusted client preferences, or nothing; and the desk's
//!    objection and restriction list for the destination's activity;
//! 3. sends what may go — cut to the destination's allow-list, with an idempotency key per
//!    event and destination — with up to `concurrency` requests in flight;
//! 4. settles every event in one transaction: forwarded, blocked (and why), failed (due again
//!    after a backoff that doubles from `first_retry_ms` up to `max_retry_ms`, with jitter), or
//!    dead after `max_attempts` or an answer that says retrying cannot help (4xx other than 408
//!    and 429). Dead letters stay listed until replayed.
//!
//! Every settled event is counted in `kapsel_gate_deliveries_total{destination, outcome}`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kapsel_core::gate::{Decision, MessageType, decide};
use kapsel_core::{Clock, Millis, Random};
use kapsel_store::{DueEvent, GateEvents, Leases, Settle, Store};
use serde_json::{Map, Value};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::adapter::{Outgoing, Ready};
use crate::judge::Judge;
use crate::routes::{Gate, Route, idempotency_key};

/// How workers deliver; `[gate]` in the settings.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// Events taken per round.
    pub batch: i64,
    /// Requests in flight per destination.
    pub concurrency: usize,
    pub max_attempts: i64,
    pub first_retry_ms: Millis,
    pub max_retry_ms: Millis,
    /// How long a worker's lease lasts; it is renewed once half of it has run.
    pub lease_ms: Millis,
    /// Pause when nothing is due.
    pub idle: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
    /// This instance, as lease holder.
    pub holder: String,
}

impl Default for DeliveryOptions {
    fn default() -> DeliveryOptions {
        DeliveryOptions {
            batch: 500,
            concurrency: 4,
            max_attempts: 12,
            first_retry_ms: 1_000,
            max_retry_ms: 3_600_000,
            lease_ms: 30_000,
            idle: Duration::from_millis(200),
            timeout: Duration::from_secs(10),
            holder: "kapsel".to_owned(),
        }
    }
}

/// What the worker needs besides the destination.
#[derive(Clone)]
pub struct Context {
    pub store: Store,
    pub gate: Arc<Gate>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub http: reqwest::Client,
    pub options: DeliveryOptions,
}

/// Runs the worker of `route` until `shutdown`.
pub async fn run_worker(context: Context, route: Arc<Route>, shutdown: CancellationToken) {
    let lease = format!("gate:{}", route.spec.id);
    let options = &context.options;
    // Until when this worker holds the lease: renewed once half of it has run, not every round,
    // so that an idle or busy worker does not write (and fsync) a lease row per round.
    let mut held_until: Millis = 0;
    loop {
        let now = context.clock.now_ms();
        let held = if now < held_until - options.lease_ms / 2 {
            true
        } else {
            match context
                .store
                .take_lease(&lease, &options.holder, now, options.lease_ms)
                .await
            {
                Ok(true) => {
                    held_until = now + options.lease_ms;
                    true
                }
                Ok(false) => false,
                Err(err) => {
                    tracing::warn!(destination = %route.spec.id, error = %err, "cannot take the gate lease");
                    false
                }
            }
        };
        let pause = if !held {
            Duration::from_millis(u64::try_from(options.lease_ms / 3).unwrap_or(1_000))
        } else {
            match round(&context, &route).await {
                Ok(0) => options.idle,
                Ok(_) => Duration::ZERO,
                Err(err) => {
                    tracing::warn!(destination = %route.spec.id, error = %err, "gate delivery round failed");
                    options.idle.max(Duration::from_secs(1))
                }
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(pause) => {}
        }
    }
    let _ = context.store.release_lease(&lease, &options.holder).await;
}

/// One round; how many events it settled.
pub async fn round(context: &Context, route: &Route) -> Result<usize, kapsel_store::StoreError> {
    let id = &route.spec.id;
    let now = context.clock.now_ms();
    let due = context.store.due(id, now, context.options.batch).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let outcomes = judge_and_send(context, route, &due).await?;
    context
        .store
        .settle(id, &outcomes, context.clock.now_ms())
        .await?;
    count(id, &outcomes);
    Ok(outcomes.len())
}

/// Counts settled deliveries in `kapsel_gate_deliveries_total{destination, outcome}`.
pub fn count(destination: &str, outcomes: &[(String, String, Settle)]) {
    for (_, _, outcome) in outcomes {
        let label = match outcome {
            Settle::Forwarded => "forwarded",
            Settle::Blocked { .. } => "blocked",
            Settle::Failed { .. } => "failed",
            Settle::Dead { .. } => "dead",
        };
        metrics::counter!("kapsel_gate_deliveries_total", "destination" => destination.to_owned(), "outcome" => label)
            .increment(1);
    }
}

/// Judges each of `due` for `route` now, sends what may go, and says how each ended — in the
/// order of `due`. Nothing is written here: the caller settles (store) or records and
/// acknowledges (JetStream).
pub async fn judge_and_send(
    context: &Context,
    route: &Route,
    due: &[DueEvent],
) -> Result<Vec<(String, String, Settle)>, kapsel_store::StoreError> {
    let id = &route.spec.id;
    let now = context.clock.now_ms();
    let mut judge = Judge::new(context);
    let mut settled: Vec<Option<Settle>> = vec![None; due.len()];
    let mut ready: Vec<Ready> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (at, event) in due.iter().enumerate() {
        let (basis, granted) = judge.basis(event).await?;
        let suppressed = judge.suppressed(route, event).await?;
        let decision = decide(
            &route.spec.categories,
            &basis,
            &event.site,
            context.gate.revision(&event.site),
            now,
            suppressed.as_ref().map(|(k, a)| (k.as_str(), a.as_str())),
        );
        let dead = |error: String| Some(Settle::Dead { error });
        match decision {
            Decision::Blocked(blocked) => {
                put(
                    &mut settled,
                    at,
                    Some(Settle::Blocked {
                        reason: blocked.reason(),
                    }),
                );
            }
            Decision::Forward => {
                let Some(kind) = MessageType::parse(&event.kind) else {
                    put(
                        &mut settled,
                        at,
                        dead(format!("unknown message type `{}`", event.kind)),
                    );
                    continue;
                };
                let body: Map<String, Value> =
                    serde_json::from_str(&event.body).unwrap_or_default();
                if body.is_empty() {
                    put(
                        &mut settled,
                        at,
                        dead("the event's body is gone".to_owned()),
                    );
                    continue;
                }
                let key = idempotency_key(&event.site, &event.message_id, id);
                by_key.insert(key.clone(), at);
                ready.push(Ready {
                    key,
                    kind,
                    message: route.allow.keep(&body),
                    modes: context.gate.modes(&granted),
                });
            }
        }
    }
    let requests = route.adapter.requests(&ready, now);
    for (outgoing, result) in send_all(context, requests).await {
        for key in &outgoing.keys {
            let Some(at) = by_key.get(key).copied() else {
                continue;
            };
            let Some(event) = due.get(at) else { continue };
            let settle = match &result {
                Ok(()) => Settle::Forwarded,
                Err(failure) => failed(context, event, failure, now),
            };
            if let Some(slot) = settled.get_mut(at) {
                *slot = Some(settle);
            }
        }
    }
    Ok(due
        .iter()
        .zip(settled)
        .map(|(event, settle)| {
            // A ready event the adapter made no request for (a kind it does not take) is done:
            // nothing of it could go to this destination.
            let settle = settle.unwrap_or(Settle::Blocked {
                reason: "unsupported:type".to_owned(),
            });
            (event.site.clone(), event.message_id.clone(), settle)
        })
        .collect())
}

fn put(settled: &mut [Option<Settle>], at: usize, settle: Option<Settle>) {
    if let Some(slot) = settled.get_mut(at) {
        *slot = settle;
    }
}

/// Why a request did not succeed, and whether another attempt can help.
#[derive(Debug, Clone)]
pub struct Failure {
    pub error: String,
    pub retry: bool,
}

fn failed(context: &Context, event: &DueEvent, failure: &Failure, now: Millis) -> Settle {
    let options = &context.options;
    let attempts = event.attempts + 1;
    if !failure.retry || attempts >= options.max_attempts {
        return Settle::Dead {
            error: failure.error.clone(),
        };
    }
    let exponent = u32::try_from(attempts - 1).unwrap_or(30).min(30);
    let full = options
        .first_retry_ms
        .saturating_mul(1_i64 << exponent)
        .min(options.max_retry_ms);
    // Equal jitter: half the pause fixed, half random, so retries of many events spread out.
    let half = full / 2;
    let spread = u64::try_from(half.max(1)).unwrap_or(1);
    let jitter = i64::try_from(context.random.next_u64() % spread).unwrap_or(0);
    Settle::Failed {
        error: failure.error.clone(),
        next_ms: now + half + jitter,
    }
}

/// Sends `requests` with at most `concurrency` in flight; each with its result.
async fn send_all(
    context: &Context,
    requests: Vec<Outgoing>,
) -> Vec<(Outgoing, Result<(), Failure>)> {
    let mut results = Vec::with_capacity(requests.len());
    let mut pending = requests.into_iter();
    let mut running: JoinSet<(Outgoing, Result<(), Failure>)> = JoinSet::new();
    loop {
        while running.len() < context.options.concurrency.max(1) {
            let Some(outgoing) = pending.next() else {
                break;
            };
            let http = context.http.clone();
            let timeout = context.options.timeout;
            running.spawn(async move {
                let result = send(&http, &outgoing, timeout).await;
                (outgoing, result)
            });
        }
        match running.join_next().await {
            Some(Ok(done)) => results.push(done),
            Some(Err(err)) => tracing::error!(error = %err, "a gate request task failed"),
            None => break,
        }
    }
    results
}

async fn send(
    http: &reqwest::Client,
    outgoing: &Outgoing,
    timeout: Duration,
) -> Result<(), Failure> {
    let mut request = http
        .post(&outgoing.url)
        .timeout(timeout)
        .body(outgoing.body.clone());
    for (name, value) in &outgoing.headers {
        request = request.header(name, value);
    }
    match request.send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => {
            let status = response.status();
            let retry =
                status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429;
            Err(Failure {
                error: format!("HTTP {}", status.as_u16()),
                retry,
            })
        }
        Err(err) => Err(Failure {
            error: without_url(&err),
            retry: true,
        }),
    }
}

/// A request error without its URL, which may carry a credential in its query.
fn without_url(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    kind.to_owned()
}
