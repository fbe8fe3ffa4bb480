//! The JetStream outbox, for several Kapsel instances sharing the gate's work.
//!
//! - Ingest publishes each event to the stream (file storage) on subject
//!   `kapsel.gate.<stream>` (so that two deployments can share one NATS server), with `Nats-Msg-Id: <site>/<messageId>` so that JetStream drops a
//!   repeat within its duplicate window (an hour), and answers 2xx only once JetStream has
//!   acknowledged every event of the request.
//! - Each destination has one durable pull consumer (`kapsel-<destination>`), shared by every
//!   instance: each event goes to one of them. A worker judges and sends as the store's worker
//!   does (`deliver::judge_and_send`), records each decision in the store's trace, and then
//!   acknowledges (forwarded, blocked), NAKs with the backoff delay (failed) or terminates
//!   (dead — the event's body is kept in the store for `kapsel gate replay`, which the store's
//!   worker then delivers). An instance killed mid-round leaves its events unacknowledged;
//!   JetStream hands them to another worker after the ack wait.
//!
//! The stream keeps events for seven days (the store's own period for settled events).
//! JetStream itself fsyncs on its own schedule (`sync_interval`, two minutes by default): a
//! JetStream acknowledgement survives the death of Kapsel, and of the NATS server only as far
//! as its storage settings allow.

use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer, stream};
use futures::StreamExt as _;
use kapsel_core::Millis;
use kapsel_store::{DueEvent, GateEvents, NewEvent, Settle};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::deliver::{Context, judge_and_send};
use crate::outbox::{Appended, Outbox, OutboxError};
use crate::routes::Route;

const KEEP: Duration = Duration::from_secs(7 * 24 * 3600);
const DUPLICATE_WINDOW: Duration = Duration::from_secs(3600);

/// An event as it travels through JetStream: its own type, so that the JSON in a stream (which
/// outlives a deploy) changes only deliberately, not with the store's structs.
#[derive(Debug, Serialize, Deserialize)]
struct Wire {
    site: String,
    message_id: String,
    kind: String,
    received_ms: Millis,
    receipt: Option<String>,
    consent: Option<Vec<String>>,
    subjects: Vec<String>,
    body: String,
    destinations: Vec<String>,
}

impl From<NewEvent> for Wire {
    fn from(e: NewEvent) -> Wire {
        Wire {
            site: e.site,
            message_id: e.message_id,
            kind: e.kind,
            received_ms: e.received_ms,
            receipt: e.receipt,
            consent: e.consent,
            subjects: e.subjects,
            body: e.body,
            destinations: e.destinations,
        }
    }
}

impl Wire {
    fn event(&self) -> NewEvent {
        NewEvent {
            site: self.site.clone(),
            message_id: self.message_id.clone(),
            kind: self.kind.clone(),
            received_ms: self.received_ms,
            receipt: self.receipt.clone(),
            consent: self.consent.clone(),
            subjects: self.subjects.clone(),
            body: self.body.clone(),
            destinations: self.destinations.clone(),
        }
    }

    fn due(&self, attempts: i64) -> DueEvent {
        DueEvent {
            site: self.site.clone(),
            message_id: self.message_id.clone(),
            kind: self.kind.clone(),
            received_ms: self.received_ms,
            receipt: self.receipt.clone(),
            consent: self.consent.clone(),
            subjects: self.subjects.clone(),
            body: self.body.clone(),
            attempts,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("JetStream at {url}: {reason}")]
pub struct JetStreamError {
    pub url: String,
    pub reason: String,
}

/// The outbox on one JetStream stream.
#[derive(Clone)]
pub struct JetStreamOutbox {
    context: jetstream::Context,
    stream: String,
    subject: String,
}

impl std::fmt::Debug for JetStreamOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JetStreamOutbox")
            .field("stream", &self.stream)
            .finish()
    }
}

impl JetStreamOutbox {
    /// Connects to `url` and creates the stream `stream` if it does not exist.
    pub async fn connect(url: &str, stream: &str) -> Result<JetStreamOutbox, JetStreamError> {
        let fail = |reason: String| JetStreamError {
            url: url.to_owned(),
            reason,
        };
        let client = async_nats::connect(url)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let context = jetstream::new(client);
        context
            .get_or_create_stream(stream::Config {
                name: stream.to_owned(),
                subjects: vec![subject_of(stream)],
                storage: stream::StorageType::File,
                max_age: KEEP,
                duplicate_window: DUPLICATE_WINDOW,
                ..Default::default()
            })
            .await
            .map_err(|e| fail(e.to_string()))?;
        Ok(JetStreamOutbox {
            context,
            stream: stream.to_owned(),
            subject: subject_of(stream),
        })
    }
}

/// The subject of stream `stream`'s events.
fn subject_of(stream: &str) -> String {
    format!("kapsel.gate.{stream}")
}

/// Deletes stream `stream` at `url` (tests clean up their own streams with it).
pub async fn delete_stream(url: &str, stream: &str) -> Result<(), JetStreamError> {
    let fail = |reason: String| JetStreamError {
        url: url.to_owned(),
        reason,
    };
    let client = async_nats::connect(url)
        .await
        .map_err(|e| fail(e.to_string()))?;
    jetstream::new(client)
        .delete_stream(stream)
        .await
        .map_err(|e| fail(e.to_string()))?;
    Ok(())
}

impl Outbox for JetStreamOutbox {
    fn append(&self, events: Vec<NewEvent>) -> Appended<'_> {
        Box::pin(async move {
            let mut acks = Vec::with_capacity(events.len());
            for event in events {
                let id = format!("{}/{}", event.site, event.message_id);
                let payload = serde_json::to_vec(&Wire::from(event))
                    .map_err(|e| OutboxError(e.to_string()))?;
                let mut headers = async_nats::HeaderMap::new();
                headers.insert("Nats-Msg-Id", id.as_str());
                let ack = self
                    .context
                    .publish_with_headers(self.subject.clone(), headers, payload.into())
                    .await
                    .map_err(|e| OutboxError(format!("JetStream refused the event: {e}")))?;
                acks.push(ack);
            }
            let mut fresh = Vec::with_capacity(acks.len());
            for ack in acks {
                let ack = ack
                    .await
                    .map_err(|e| OutboxError(format!("JetStream did not acknowledge: {e}")))?;
                fresh.push(!ack.duplicate);
            }
            Ok(fresh)
        })
    }
}

/// Delivers `route`'s events from its durable consumer until `shutdown`.
pub async fn run_worker(
    context: Context,
    outbox: JetStreamOutbox,
    route: std::sync::Arc<Route>,
    shutdown: CancellationToken,
) {
    let id = route.spec.id.clone();
    let consumer = loop {
        match consumer_of(&context, &outbox, &id).await {
            Ok(consumer) => break consumer,
            Err(err) => {
                tracing::warn!(destination = %id, error = %err, "cannot open the JetStream consumer");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    };
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        let fetched = consumer
            .fetch()
            .max_messages(usize::try_from(context.options.batch).unwrap_or(500))
            .expires(Duration::from_millis(500))
            .messages()
            .await;
        let mut messages = match fetched {
            Ok(messages) => messages,
            Err(err) => {
                tracing::warn!(destination = %id, error = %err, "JetStream fetch failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let mut batch = Vec::new();
        while let Some(Ok(message)) = messages.next().await {
            batch.push(message);
        }
        if batch.is_empty() {
            continue;
        }
        if let Err(err) = deliver(&context, &route, batch).await {
            tracing::warn!(destination = %id, error = %err, "JetStream delivery round failed");
        }
    }
}

async fn consumer_of(
    context: &Context,
    outbox: &JetStreamOutbox,
    destination: &str,
) -> Result<consumer::PullConsumer, String> {
    let stream = outbox
        .context
        .get_stream(&outbox.stream)
        .await
        .map_err(|e| e.to_string())?;
    let name = format!("kapsel-{destination}");
    stream
        .get_or_create_consumer(
            &name,
            consumer::pull::Config {
                durable_name: Some(name.clone()),
                filter_subject: outbox.subject.clone(),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: context.options.timeout * 3 + Duration::from_secs(10),
                // Kapsel decides when an event is dead; JetStream only redelivers.
                max_deliver: -1,
                max_ack_pending: 100_000,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| e.to_string())
}

async fn deliver(
    context: &Context,
    route: &Route,
    batch: Vec<jetstream::Message>,
) -> Result<(), kapsel_store::StoreError> {
    let id = &route.spec.id;
    let mut wires = Vec::new();
    let mut messages = Vec::new();
    for message in batch {
        let wire: Option<Wire> = serde_json::from_slice(&message.payload).ok();
        match wire {
            Some(wire) if wire.destinations.iter().any(|d| d == id) => {
                wires.push(wire);
                messages.push(message);
            }
            // Not for this destination (or unreadable, which nothing could deliver): done.
            _ => {
                let _ = message.ack().await;
            }
        }
    }
    let due: Vec<DueEvent> = wires
        .iter()
        .zip(&messages)
        .map(|(wire, message)| {
            let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
            wire.due(delivered.saturating_sub(1))
        })
        .collect();
    let outcomes = judge_and_send(context, route, &due).await?;
    let now = context.clock.now_ms();
    let mut records = Vec::with_capacity(outcomes.len());
    for (wire, (_, _, settle)) in wires.iter().zip(&outcomes) {
        records.push((wire.event(), settle.clone()));
    }
    context.store.record(id, &records, now).await?;
    for (message, (_, _, settle)) in messages.iter().zip(&outcomes) {
        let kind = match settle {
            Settle::Forwarded | Settle::Blocked { .. } => AckKind::Ack,
            Settle::Failed { next_ms, .. } => AckKind::Nak(Some(Duration::from_millis(
                u64::try_from(next_ms - now).unwrap_or(0),
            ))),
            Settle::Dead { .. } => AckKind::Term,
        };
        let _ = message.ack_with(kind).await;
    }
    crate::deliver::count(id, &outcomes);
    Ok(())
}
