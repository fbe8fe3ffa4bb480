//! A webhook dataset: another system that carries out access and erasure itself when Kapsel
//! asks. One `POST` per case and action to the connector's URL:
//!
//! ```text
//! POST <[connectors.NAME] url>
//! Content-Type: application/json
//! X-Kapsel-Timestamp: <unix ms>
//! X-Kapsel-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
//! Idempotency-Key: <case id>:<action>:<dataset>
//!
//! {"case_id": "…", "action": "access" | "erasure", "dataset": "…", "right": "…",
//!  "identifiers": {"email": "…", …}}
//! ```
//!
//! Only the identifier kinds the dataset declares are sent. A failed attempt (connection error
//! or 5xx) is retried with growing pauses; the last answer's status and its body's SHA-256 are
//! recorded as a `webhook_answered` step. A later run calls again until one answer was 2xx.

use std::time::Duration;

use serde_json::json;

use kapsel_core::desk::{Case, CaseEventKind, StepAction};
use kapsel_core::privacy::DatasetSpec;
use kapsel_publish::bundle::sha256_hex;

use super::{History, StepView, record, subject_of};
use crate::desk::DeskState;
use crate::error::ApiError;

/// Attempts per call, and the pause before each retry (doubling).
const ATTEMPTS: u32 = 3;
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `dataset`'s webhook answered 2xx in this case.
pub fn answered(history: &History, dataset: &str) -> bool {
    history.events.iter().any(|e| match &e.kind {
        CaseEventKind::Step {
            action: StepAction::WebhookAnswered,
            dataset: d,
            result,
        } if d == dataset => serde_json::from_str::<serde_json::Value>(result)
            .ok()
            .and_then(|r| r.get("status").and_then(serde_json::Value::as_u64))
            .is_some_and(|s| (200..300).contains(&s)),
        _ => false,
    })
}

pub use kapsel_core::signing::webhook::signature;

/// Calls the webhook unless it already answered 2xx; the recorded step.
pub async fn call(
    desk: &DeskState,
    dataset: &DatasetSpec,
    case: &Case,
    history: &History,
    action: &str,
    actor: &str,
) -> Result<Option<StepView>, ApiError> {
    if answered(history, &dataset.id) {
        return Ok(None);
    }
    let (url, secret) = desk.connectors.webhook(&dataset.connection)?;
    let subject = subject_of(&desk.sites.privacy, case);
    let identifiers: serde_json::Map<String, serde_json::Value> = dataset
        .identifiers
        .iter()
        .filter_map(|kind| subject.get(kind).map(|v| (kind.clone(), json!(v))))
        .collect();
    let body = json!({
        "case_id": case.id,
        "action": action,
        "dataset": dataset.id,
        "right": case.right.as_str(),
        "identifiers": identifiers,
    })
    .to_string();
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| ApiError::internal("the webhook client", e))?;
    let mut pause = FIRST_PAUSE;
    let mut outcome = (0u16, String::new(), String::new());
    for attempt in 1..=ATTEMPTS {
        let timestamp = desk.clock.now_ms();
        let mut request = client
            .post(url)
            .header("content-type", "application/json")
            .header("x-kapsel-timestamp", timestamp.to_string())
            .header(
                "idempotency-key",
                format!("{}:{action}:{}", case.id, dataset.id),
            )
            .body(body.clone());
        if let Some(secret) = secret {
            request = request.header(
                "x-kapsel-signature",
                signature(secret.expose().as_bytes(), timestamp, body.as_bytes()),
            );
        }
        outcome = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let answer = response.bytes().await.unwrap_or_default();
                (status, sha256_hex(&answer), String::new())
            }
            // The error's kind only: the URL may hold credentials.
            Err(e) if e.is_timeout() => (0, String::new(), "timed out".to_owned()),
            Err(e) if e.is_connect() => (0, String::new(), "could not connect".to_owned()),
            Err(_) => (0, String::new(), "the request failed".to_owned()),
        };
        let retry = outcome.0 == 0 || outcome.0 >= 500;
        if !retry || attempt == ATTEMPTS {
            let (status, body_sha256, error) = &outcome;
            let result = json!({
                "status": status, "body_sha256": body_sha256, "error": error,
                "attempts": attempt, "action": action,
            });
            let step = record(
                desk,
                &case.id,
                actor,
                StepAction::WebhookAnswered,
                &dataset.id,
                result,
            )
            .await?;
            return Ok(Some(step));
        }
        tokio::time::sleep(pause).await;
        pause *= 2;
    }
    Err(ApiError::internal("the webhook", format!("{outcome:?}")))
}
