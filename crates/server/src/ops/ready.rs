//! `GET /readyz`: readiness, on the public and the ops listener. `200 ready` while the ledger
//! writer can write; `503` with a JSON reason while its storage fails (disk full, database
//! unreachable; it clears by itself once a write or the writer's probe succeeds) or when it
//! refused to start (a chain head mismatch; it stays until an operator has acted). `/healthz`
//! stays liveness only. The same state is the gauge `kapsel_ledger_writer_ready`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kapsel_store::{Ledger, WriterHealth};
use serde_json::json;

use crate::state::OpsState;

/// Readiness: `200 ready`, or `503` naming the writer's state.
pub async fn get_ready(State(state): State<Arc<OpsState>>) -> Response {
    let health = state.ledger.health();
    export_gauge(&state.ledger);
    let (status, reason) = match &health {
        WriterHealth::Ready => return (StatusCode::OK, "ready\n").into_response(),
        WriterHealth::Failing {
            since_ms,
            failures,
            error,
        } => (
            "failing",
            json!({ "since_ms": since_ms, "failures": failures, "error": error }),
        ),
        WriterHealth::Refused { reason } => ("refused", json!({ "error": reason })),
    };
    let body = json!({
        "ready": false,
        "ledger": { "chain": state.ledger.chain_id(), "state": status, "detail": reason },
    });
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    if status == "failing" {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(kapsel_store::RETRY_AFTER_S),
        );
    }
    response
}

/// `kapsel_ledger_writer_ready{chain}`: 1 while the writer can write, else 0.
pub fn export_gauge(ledger: &Ledger) {
    let ready = if ledger.health().is_ready() { 1.0 } else { 0.0 };
    metrics::gauge!("kapsel_ledger_writer_ready", "chain" => ledger.chain_id().to_owned())
        .set(ready);
}
