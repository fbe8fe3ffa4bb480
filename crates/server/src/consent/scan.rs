//! Choices made by Kapsel's own scanner are not visitors' choices. `kapsel scan --token` sends
//! `Kapsel-Scan: <token>` on its consent POSTs (only on those: it adds the header at the network
//! layer for requests to `/v1/consent`, so no tracker ever sees it); when the token is the one
//! in `[scan] token`, the server answers the banner exactly as it would — a receipt, a
//! `receipt_secret`, the expiry — but writes nothing to the ledger, and says so in the response
//! header `Kapsel-Scan: not-recorded`. Exports, rates and verification therefore never see a
//! scan. A `Kapsel-Scan` header with any other value (or on a server without a token) is refused
//! with 403, so a misconfigured scanner never writes test clicks into the visitor ledger either.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kapsel_core::Secret;
use kapsel_core::consent::{ConsentChoice, Receipt, proof, receipt_id_at};
use serde::Serialize;

use crate::error::ApiError;
use crate::state::ConsentState;

/// The request header the scanner sends, and the response header saying nothing was recorded.
pub const HEADER: &str = "kapsel-scan";

/// Whether this request comes from the scanner with the right token; 403 for a scan header
/// with a wrong token or when the server has none.
pub fn is_scan(headers: &HeaderMap, token: Option<&Secret>) -> Result<bool, ApiError> {
    let Some(sent) = headers.get(HEADER) else {
        return Ok(false);
    };
    let matches = match (token, sent.to_str()) {
        (Some(token), Ok(sent)) => token.matches(sent.trim()),
        _ => false,
    };
    if matches {
        Ok(true)
    } else {
        Err(ApiError::Forbidden {
            field: "Kapsel-Scan".to_owned(),
            message: "the scan token is not this server's [scan] token; the choice was not \
                      recorded"
                .to_owned(),
        })
    }
}

/// The `201` a visitor's choice gets, for a choice that is not recorded: the receipt's id,
/// revision and expiry as they would be, an empty hash (no record), and a secret that proves
/// nothing.
#[derive(Serialize)]
struct Unrecorded {
    #[serde(flatten)]
    receipt: Receipt,
    receipt_secret: String,
}

/// Answers the scanner's choice without writing it.
pub fn answer_without_recording(
    state: &ConsentState,
    choice: &ConsentChoice,
) -> Result<Response, ApiError> {
    let now = state.clock.now_ms();
    let expires_at_ms = state
        .lifetimes
        .expires_at(choice.action, choice, now)
        .map_err(|e| ApiError::internal("the expiry of a scan's choice", e))?;
    let mut randomness = [0u8; 10];
    state.random.fill(&mut randomness);
    let mut secret = [0u8; 16];
    state.random.fill(&mut secret);
    let body = Unrecorded {
        receipt: Receipt {
            id: receipt_id_at(now, randomness),
            hash: String::new(),
            revision: choice.revision.clone(),
            recorded_at_ms: now,
            expires_at_ms,
        },
        receipt_secret: proof::new_secret(secret),
    };
    metrics::counter!("kapsel_scan_choices_total", "site" => choice.site.clone()).increment(1);
    let mut response = (StatusCode::CREATED, Json(body)).into_response();
    response
        .headers_mut()
        .insert(HEADER, HeaderValue::from_static("not-recorded"));
    Ok(response)
}
