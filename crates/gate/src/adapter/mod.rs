//! One trait for every destination: an [`Adapter`] turns events that may go (already cut to the
//! destination's allow-list) into the HTTP requests its published API expects. Adapters are pure:
//! no I/O, no clock but the `now_ms` they are given; the worker (`deliver`) sends.
//!
//! To add a destination: a module here with a struct implementing [`Adapter`], a
//! `DestinationKind` in core, and its credentials in `DestinationKind::credentials`.

mod ga4;
mod meta;
mod segment;
mod webhook;

use std::collections::BTreeMap;

use kapsel_core::Millis;
use kapsel_core::gate::MessageType;
use kapsel_core::privacy::DestinationKind;
use serde_json::{Map, Value};

pub use ga4::Ga4;
pub use meta::Meta;
pub use segment::SegmentForward;
pub use webhook::Webhook;

/// The Consent Mode signals a destination may need, from the visitor's choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Modes {
    pub ad_user_data: bool,
    pub ad_personalization: bool,
}

/// One event that may go to the destination.
#[derive(Debug, Clone, PartialEq)]
pub struct Ready {
    /// The idempotency key of this event and destination: the same on every attempt.
    pub key: String,
    pub kind: MessageType,
    /// The message, cut to the destination's allow-list.
    pub message: Map<String, Value>,
    pub modes: Modes,
}

/// One HTTP request to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The idempotency keys of the events it carries.
    pub keys: Vec<String>,
}

pub trait Adapter: Send + Sync {
    /// Whether the destination's API has a use for this kind of message; others are not queued.
    fn accepts(&self, kind: MessageType) -> bool;

    /// The requests that carry `events`.
    fn requests(&self, events: &[Ready], now_ms: Millis) -> Vec<Outgoing>;
}

/// A missing credential, named as the settings key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "[destinations.{destination}] credentials.{key} is missing (needed by a {kind} destination)"
)]
pub struct MissingCredential {
    pub destination: String,
    pub kind: &'static str,
    pub key: &'static str,
}

/// The adapter of `kind` with its endpoint and credentials; the default endpoint of the kind's
/// public API when `url` is `None` (a webhook has none).
pub fn adapter(
    destination: &str,
    kind: DestinationKind,
    url: Option<&str>,
    credentials: &BTreeMap<String, String>,
) -> Result<Box<dyn Adapter>, MissingCredential> {
    let get = |key: &'static str| {
        credentials
            .get(key)
            .filter(|v| !v.is_empty())
            .cloned()
            .ok_or(MissingCredential {
                destination: destination.to_owned(),
                kind: kind.as_str(),
                key,
            })
    };
    let base = |default: &str| url.unwrap_or(default).trim_end_matches('/').to_owned();
    Ok(match kind {
        DestinationKind::Webhook => Box::new(Webhook {
            url: url.map(str::to_owned).ok_or(MissingCredential {
                destination: destination.to_owned(),
                kind: kind.as_str(),
                key: "url",
            })?,
            secret: get("secret")?,
        }),
        DestinationKind::Ga4 => Box::new(Ga4 {
            url: base(ga4::ENDPOINT),
            measurement_id: get("measurement_id")?,
            api_secret: get("api_secret")?,
        }),
        DestinationKind::Meta => Box::new(Meta {
            url: base(meta::ENDPOINT),
            pixel_id: get("pixel_id")?,
            access_token: get("access_token")?,
        }),
        DestinationKind::Segment => Box::new(SegmentForward {
            url: base(segment::ENDPOINT),
            write_key: get("write_key")?,
        }),
    })
}

/// A non-empty string field of a message by dotted path.
pub(crate) fn text<'a>(message: &'a Map<String, Value>, path: &str) -> Option<&'a str> {
    field(message, path)?.as_str().filter(|s| !s.is_empty())
}

/// A field by dotted path.
pub(crate) fn field<'a>(message: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut value = message.get(parts.next()?)?;
    for part in parts {
        value = value.get(part)?;
    }
    Some(value)
}

/// The message's time in milliseconds: its `timestamp`, else `fallback`.
pub(crate) fn event_ms(message: &Map<String, Value>, fallback: Millis) -> Millis {
    text(message, "timestamp")
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(fallback))
        .unwrap_or(fallback)
}

/// JSON bytes of `value` (serialising a `Value` cannot fail).
pub(crate) fn json_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// Percent-encodes a query value.
pub(crate) fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Most bytes of events in one request (Segment takes 500 KB a batch; the margin is the
/// request's own envelope).
pub(crate) const MAX_REQUEST_BYTES: usize = 480 * 1024;

/// `events` in runs of at most `count` events whose messages add up to at most `bytes`
/// (a single larger event is a run of its own).
pub(crate) fn runs(events: &[Ready], count: usize, bytes: usize) -> Vec<&[Ready]> {
    let mut runs = Vec::new();
    let (mut start, mut size) = (0, 0);
    for (at, event) in events.iter().enumerate() {
        let own = serde_json::to_vec(&event.message).map_or(0, |b| b.len());
        if at > start && (at - start >= count || size + own > bytes) {
            runs.extend(events.get(start..at));
            (start, size) = (at, 0);
        }
        size += own;
    }
    if start < events.len() {
        runs.extend(events.get(start..));
    }
    runs
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ready(key: &str, bytes: usize) -> Ready {
        Ready {
            key: key.to_owned(),
            kind: MessageType::Track,
            message: json!({"type": "track", "event": "e", "properties": {"x": "y".repeat(bytes)}})
                .as_object()
                .cloned()
                .unwrap(),
            modes: Modes::default(),
        }
    }

    #[test]
    fn runs_respect_both_the_count_and_the_size() {
        let small: Vec<Ready> = (0..250).map(|i| ready(&i.to_string(), 10)).collect();
        let sizes: Vec<usize> = runs(&small, 100, MAX_REQUEST_BYTES)
            .iter()
            .map(|r| r.len())
            .collect();
        assert_eq!(sizes, vec![100, 100, 50]);
        let big: Vec<Ready> = (0..17).map(|i| ready(&i.to_string(), 31 * 1024)).collect();
        let split = runs(&big, 100, MAX_REQUEST_BYTES);
        assert!(split.len() >= 2);
        for run in &split {
            let bytes: usize = run
                .iter()
                .map(|e| serde_json::to_vec(&e.message).unwrap().len())
                .sum();
            assert!(bytes <= MAX_REQUEST_BYTES, "{bytes}");
        }
        assert_eq!(split.iter().map(|r| r.len()).sum::<usize>(), 17);
    }

    #[test]
    fn a_segment_forward_always_carries_an_id() {
        let forward = SegmentForward {
            url: "http://127.0.0.1:1".to_owned(),
            write_key: "w".to_owned(),
        };
        let requests = forward.requests(&[ready("key-1", 1)], 0);
        let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
        assert_eq!(body["batch"][0]["anonymousId"], json!("key-1"));
    }
}
