//! Segment's HTTP Tracking API: `POST /v1/track`, `/v1/page`, `/v1/screen`, `/v1/identify`,
//! `/v1/group`, `/v1/alias`, `/v1/batch`, and the short paths analytics.js uses (`/v1/t`, `/v1/p`,
//! `/v1/s`, `/v1/i`, `/v1/g`, `/v1/a`, `/v1/b`).
//!
//! - The write key is the HTTP Basic user (the password empty), or the body's `writeKey`.
//!   A wrong one is 401.
//! - The body is JSON whatever its `Content-Type` (analytics.js sends `text/plain` so that
//!   browsers need no preflight); Segment's limits hold: 32 KB a message, 500 KB a batch.
//! - Every message is checked before anything is stored (`kapsel_core::gate::message`): one bad
//!   message refuses the whole request with 422 naming it (`batch[3].event`), and nothing of it
//!   is stored. JSON that does not parse is 400.
//! - At the edge each message is cut (`minimise`): address to prefix, user agent to family,
//!   only fields some destination of the site may receive. What it needs to be judged is taken
//!   out first: the receipt (`context.kapsel.receipt`, else the `kapsel_consent` cookie the
//!   request carries), Segment's `context.consent.categoryPreferences` where the site trusts
//!   them, and keyed hashes of its subject's identifiers for the desk's objection list.
//! - 200 `{"success": true}` only once every event is committed (group commit); a repeated
//!   `messageId` is accepted again and queued nothing twice.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use base64::Engine as _;
use kapsel_connect::identifier_hash;
use kapsel_core::calendar::rfc3339;
use kapsel_core::consent::is_receipt_id;
use kapsel_core::gate::message::{self, MAX_BATCH_BYTES, Message, MessageType};
use kapsel_core::gate::minimise::at_edge;
use kapsel_store::NewEvent;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::GateState;
use crate::error::{ApiError, FieldError};
use crate::middleware::forwarded::client_addr;

/// Every ingest path and the message type it implies (`None`: a batch).
pub const PATHS: &[(&str, Option<MessageType>)] = &[
    ("/v1/track", Some(MessageType::Track)),
    ("/v1/page", Some(MessageType::Page)),
    ("/v1/screen", Some(MessageType::Screen)),
    ("/v1/identify", Some(MessageType::Identify)),
    ("/v1/group", Some(MessageType::Group)),
    ("/v1/alias", Some(MessageType::Alias)),
    ("/v1/batch", None),
    ("/v1/t", Some(MessageType::Track)),
    ("/v1/p", Some(MessageType::Page)),
    ("/v1/s", Some(MessageType::Screen)),
    ("/v1/i", Some(MessageType::Identify)),
    ("/v1/g", Some(MessageType::Group)),
    ("/v1/a", Some(MessageType::Alias)),
    ("/v1/b", None),
];

/// Keys of a batch request besides its messages.
const BATCH_KEYS: &[&str] = &[
    "batch",
    "sentAt",
    "writeKey",
    "context",
    "integrations",
    "_metadata",
];
/// Transport keys of a single message, dropped before it is read.
const TRANSPORT_KEYS: &[&str] = &["writeKey", "sentAt"];
/// Most messages in one batch.
const MAX_BATCH_MESSAGES: usize = 2_500;

#[derive(serde::Deserialize)]
struct BatchBody<'a> {
    #[serde(borrow)]
    batch: Option<Vec<&'a RawValue>>,
    #[serde(rename = "writeKey")]
    write_key: Option<String>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// `POST` to any ingest path.
pub async fn post_events(
    State(state): State<Arc<GateState>>,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    let Some((_, kind)) = PATHS.iter().find(|(p, _)| *p == request.uri().path()) else {
        return Err(ApiError::NotFound {
            what: request.uri().path().to_owned(),
        });
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    // The edge has read the body already, within its limit and timeout.
    let body = axum::body::to_bytes(body, MAX_BATCH_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge {
            limit: MAX_BATCH_BYTES,
        })?;
    let (messages, body_key) = match kind {
        None => read_batch(&body)?,
        Some(kind) => read_single(&body, *kind, &state)?,
    };
    let site = authenticate(&state, &headers, body_key.as_deref())?;
    let client = client_addr(peer, &headers, &state.proxy).ip;
    let cookie_receipt = consent_cookie_receipt(&headers);
    let now = state.clock.now_ms();
    let allow = state.gate.allow_list(&site);
    let mut events = Vec::with_capacity(messages.len());
    let mut seen = BTreeSet::new();
    for (at, message) in messages.into_iter().enumerate() {
        let field = |name: &str| match kind {
            None => format!("batch[{at}].{name}"),
            Some(_) => name.to_owned(),
        };
        let Message {
            kind,
            message_id,
            mut body,
        } = message;
        let receipt = receipt_of(&body, cookie_receipt.as_deref(), &field)?;
        let consent = state
            .client_consent
            .contains(&site)
            .then(|| client_preferences(&body, &state.categories))
            .flatten();
        let subjects = subjects_of(&state, &body, receipt.as_deref());
        let destinations = state.gate.destinations_for(&site, kind);
        if destinations.is_empty() || !seen.insert(message_id.clone()) {
            continue;
        }
        // As Segment does, an event without a time happened when it arrived.
        if body.get("timestamp").is_none_or(Value::is_null) {
            body.insert("timestamp".to_owned(), Value::String(rfc3339(now)));
        }
        at_edge(&mut body, client);
        let kept = allow.keep(&body);
        events.push(NewEvent {
            site: site.clone(),
            message_id,
            kind: kind.as_str().to_owned(),
            received_ms: now,
            receipt,
            consent,
            subjects,
            body: Value::Object(kept).to_string(),
            destinations,
        });
    }
    let offered = events.len();
    let fresh = state
        .outbox
        .append(events)
        .await
        .map_err(|err| ApiError::StorageUnavailable {
            reason: err.to_string(),
            retry_after_s: 1,
        })?;
    let new = fresh.iter().filter(|f| **f).count();
    metrics::counter!("kapsel_gate_events_total", "site" => site.clone(), "outcome" => "accepted")
        .increment(new as u64);
    metrics::counter!("kapsel_gate_events_total", "site" => site, "outcome" => "duplicate")
        .increment((offered - new) as u64);
    Ok(Json(json!({ "success": true })))
}

/// `POST /v1/m`: analytics.js's usage counters for Segment. Accepted and dropped: they are
/// not events and nobody here reads them.
pub async fn post_metrics() -> Json<Value> {
    Json(json!({ "success": true }))
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

fn malformed(err: &serde_json::Error) -> ApiError {
    ApiError::MalformedJson {
        reason: format!("line {} column {}: {err}", err.line(), err.column()),
    }
}

fn fresh_id(state: &GateState) -> String {
    format!("kapsel-{}", hex::encode(state.random.bytes16()))
}

fn read_batch(body: &[u8]) -> Result<(Vec<Message>, Option<String>), ApiError> {
    let parsed: BatchBody<'_> = serde_json::from_slice(body).map_err(|e| malformed(&e))?;
    if let Some(key) = parsed
        .rest
        .keys()
        .find(|k| !BATCH_KEYS.contains(&k.as_str()))
    {
        return Err(bad(key.clone(), "is not a key of a batch request"));
    }
    let Some(batch) = parsed.batch else {
        return Err(bad(
            "batch",
            "missing: the messages of the batch, as an array",
        ));
    };
    if batch.len() > MAX_BATCH_MESSAGES {
        return Err(bad(
            "batch",
            format!("at most {MAX_BATCH_MESSAGES} messages per request"),
        ));
    }
    let mut messages = Vec::with_capacity(batch.len());
    for (at, raw) in batch.iter().enumerate() {
        let value: Value = serde_json::from_str(raw.get()).map_err(|e| malformed(&e))?;
        let message = message::read(value, None, raw.get().len(), String::new).map_err(|e| {
            let field = if e.field.is_empty() {
                format!("batch[{at}]")
            } else {
                format!("batch[{at}].{}", e.field)
            };
            bad(field, e.message)
        })?;
        if message.message_id.is_empty() {
            return Err(bad(format!("batch[{at}].messageId"), "missing"));
        }
        messages.push(message);
    }
    Ok((messages, parsed.write_key))
}

fn read_single(
    body: &[u8],
    kind: MessageType,
    state: &GateState,
) -> Result<(Vec<Message>, Option<String>), ApiError> {
    let mut value: Value = serde_json::from_slice(body).map_err(|e| malformed(&e))?;
    let mut write_key = None;
    if let Value::Object(object) = &mut value {
        if let Some(Value::String(key)) = object.get("writeKey") {
            write_key = Some(key.clone());
        }
        for key in TRANSPORT_KEYS {
            object.remove(*key);
        }
    }
    let size = body.len();
    let message = message::read(value, Some(kind), size, || fresh_id(state))
        .map_err(|e| bad(e.field, e.message))?;
    Ok((vec![message], write_key))
}

/// The site of the request's write key: the Basic user, else the body's `writeKey`.
fn authenticate(
    state: &GateState,
    headers: &HeaderMap,
    body_key: Option<&str>,
) -> Result<String, ApiError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .map(|text| text.split(':').next().unwrap_or_default().to_owned());
    let key = basic.as_deref().or(body_key).unwrap_or_default();
    state
        .site_of(key)
        .map(str::to_owned)
        .ok_or(ApiError::WrongWriteKey)
}

/// The receipt id of the consent cookie the request carries, if any.
fn consent_cookie_receipt(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix("kapsel_consent="))
        .filter_map(|value| {
            let decoded = value.replace("%7C", "|").replace("%7c", "|");
            let mut fields = decoded.split('|');
            (fields.next() == Some("1")).then(|| fields.next().unwrap_or_default().to_owned())
        })
        .find(|id| is_receipt_id(id))
}

/// The receipt the event names (`context.kapsel.receipt`), else the cookie's.
fn receipt_of(
    body: &Map<String, Value>,
    cookie: Option<&str>,
    field: &dyn Fn(&str) -> String,
) -> Result<Option<String>, ApiError> {
    match body
        .get("context")
        .and_then(|c| c.get("kapsel"))
        .and_then(|k| k.get("receipt"))
    {
        None | Some(Value::Null) => Ok(cookie.map(str::to_owned)),
        Some(Value::String(id)) if is_receipt_id(id) => Ok(Some(id.clone())),
        Some(_) => Err(bad(
            field("context.kapsel.receipt"),
            "must be a Kapsel receipt id (26 characters of Crockford base32)",
        )),
    }
}

/// The declared categories Segment's `categoryPreferences` grant (`true`); others count as
/// denied. `None` when the event carries none.
fn client_preferences(
    body: &Map<String, Value>,
    declared: &BTreeSet<String>,
) -> Option<Vec<String>> {
    let preferences = body
        .get("context")?
        .get("consent")?
        .get("categoryPreferences")?
        .as_object()?;
    Some(
        preferences
            .iter()
            .filter(|(id, on)| on.as_bool() == Some(true) && declared.contains(id.as_str()))
            .map(|(id, _)| id.clone())
            .collect(),
    )
}

/// Keyed hashes of the event's subject, as the desk lists a requester's identifiers: the
/// e-mail (from `traits` or `context.traits`; as written and lower-cased), the `userId` as the
/// identifier `[gate] user_id` names, and the receipt. None without the desk's key.
fn subjects_of(state: &GateState, body: &Map<String, Value>, receipt: Option<&str>) -> Vec<String> {
    let Some(key) = &state.desk_key else {
        return Vec::new();
    };
    let key = key.expose().as_bytes();
    let mut hashes = Vec::new();
    let email = [
        body.get("traits"),
        body.get("context").and_then(|c| c.get("traits")),
    ]
    .into_iter()
    .flatten()
    .find_map(|traits| traits.get("email")?.as_str());
    if let Some(email) = email {
        hashes.push(identifier_hash(key, "email", email.trim()));
        hashes.push(identifier_hash(key, "email", &email.trim().to_lowercase()));
    }
    if let Some(receipt) = receipt {
        hashes.push(identifier_hash(key, "receipt", receipt));
    }
    if let (Some(kind), Some(user_id)) = (
        &state.user_id_kind,
        body.get("userId").and_then(Value::as_str),
    ) {
        let value = if kind == "email" {
            user_id.trim().to_lowercase()
        } else {
            user_id.trim().to_owned()
        };
        hashes.push(identifier_hash(key, kind, &value));
    }
    hashes.sort();
    hashes.dedup();
    hashes
}
