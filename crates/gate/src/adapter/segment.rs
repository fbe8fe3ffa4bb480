//! A forward to another collector that speaks Segment's HTTP Tracking API (Segment itself,
//! RudderStack, another Kapsel): `POST {url}/v1/batch` with the write key as Basic user. The
//! collector dedupes on each message's `messageId`, which is kept.

use base64::Engine as _;
use kapsel_core::Millis;
use kapsel_core::calendar::rfc3339;
use kapsel_core::gate::MessageType;
use serde_json::{Value, json};

use super::{Adapter, MAX_REQUEST_BYTES, Outgoing, Ready, json_bytes, runs};

pub const ENDPOINT: &str = "https://api.segment.io";
/// Messages per request (Segment allows 500 KB; 100 minimised events stay well below).
const BATCH: usize = 100;

/// The message, with the idempotency key as `anonymousId` when the allow-list kept neither
/// id: the collector needs one, and the key identifies nobody.
fn with_an_id(event: &Ready) -> Value {
    let mut message = event.message.clone();
    let has = |k: &str| {
        message
            .get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if !has("userId") && !has("anonymousId") {
        message.insert("anonymousId".to_owned(), Value::String(event.key.clone()));
    }
    Value::Object(message)
}

pub struct SegmentForward {
    pub url: String,
    pub write_key: String,
}

impl Adapter for SegmentForward {
    fn accepts(&self, _kind: MessageType) -> bool {
        true
    }

    fn requests(&self, events: &[Ready], now_ms: Millis) -> Vec<Outgoing> {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.write_key));
        runs(events, BATCH, MAX_REQUEST_BYTES)
            .into_iter()
            .map(|chunk| {
                let batch: Vec<Value> = chunk.iter().map(with_an_id).collect();
                let body = json_bytes(&json!({ "batch": batch, "sentAt": rfc3339(now_ms) }));
                Outgoing {
                    url: format!("{}/v1/batch", self.url),
                    headers: vec![
                        ("content-type".to_owned(), "application/json".to_owned()),
                        ("authorization".to_owned(), format!("Basic {auth}")),
                    ],
                    body,
                    keys: chunk.iter().map(|e| e.key.clone()).collect(),
                }
            })
            .collect()
    }
}
