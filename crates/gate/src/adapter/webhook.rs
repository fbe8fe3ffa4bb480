//! A generic webhook: one signed JSON batch per request.
//!
//! ```text
//! POST <[destinations.ID] url>
//! Content-Type: application/json
//! X-Kapsel-Timestamp: <unix ms>
//! X-Kapsel-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//!
//! {"events": [{"idempotency_key": "…", "type": "track", "message": {…}}, …]}
//! ```
//!
//! A receiver dedupes on `idempotency_key`: a retried batch carries the same keys.

use kapsel_core::Millis;
use kapsel_core::gate::MessageType;
use kapsel_core::signing::webhook::signature;
use serde_json::{Value, json};

use super::{Adapter, MAX_REQUEST_BYTES, Outgoing, Ready, json_bytes, runs};

/// Events per request.
const BATCH: usize = 100;

pub struct Webhook {
    pub url: String,
    pub secret: String,
}

impl Adapter for Webhook {
    fn accepts(&self, _kind: MessageType) -> bool {
        true
    }

    fn requests(&self, events: &[Ready], now_ms: Millis) -> Vec<Outgoing> {
        runs(events, BATCH, MAX_REQUEST_BYTES)
            .into_iter()
            .map(|chunk| {
                let items: Vec<Value> = chunk
                    .iter()
                    .map(|e| {
                        json!({
                            "idempotency_key": e.key,
                            "type": e.kind.as_str(),
                            "message": e.message,
                        })
                    })
                    .collect();
                let body = json_bytes(&json!({ "events": items }));
                let signed = signature(self.secret.as_bytes(), now_ms, &body);
                Outgoing {
                    url: self.url.clone(),
                    headers: vec![
                        ("content-type".to_owned(), "application/json".to_owned()),
                        ("x-kapsel-timestamp".to_owned(), now_ms.to_string()),
                        ("x-kapsel-signature".to_owned(), signed),
                    ],
                    body,
                    keys: chunk.iter().map(|e| e.key.clone()).collect(),
                }
            })
            .collect()
    }
}
