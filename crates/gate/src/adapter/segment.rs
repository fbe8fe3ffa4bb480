//! A forward to another collector that speaks Segment's HTTP Tracking API (Segment itself,
//! RudderStack, another Kapsel): `POST {url}/v1/batch` with the write key as Basic user. The
//! collector dedupes on each message's `messageId`, which is kept.

use base64::Engine as _;
use kapsel_core::Millis;
use kapsel_core::calendar::rfc3339;
use kapsel_core::gate::MessageType;
use serde_json::{Value, json};

use super::{Adapter, Outgoing, Ready, json_bytes};

pub const ENDPOINT: &str = "https://api.segment.io";
/// Messages per request (Segment allows 500 KB; 100 minimised events stay well below).
const BATCH: usize = 100;

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
        events
            .chunks(BATCH)
            .map(|chunk| {
                let batch: Vec<Value> = chunk
                    .iter()
                    .map(|e| Value::Object(e.message.clone()))
                    .collect();
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
