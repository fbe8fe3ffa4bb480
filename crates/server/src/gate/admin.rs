//! The gate's admin routes (bearer token, like every admin route):
//!
//! - `GET /v1/admin/gate/trace?receipt=ID` — every decision for the events that named a
//!   receipt: what left the server for one visitor, where, and why the rest did not;
//! - `GET /v1/admin/gate/trace?from=MS&to=MS` — the decisions for events received in a span;
//! - `GET /v1/admin/gate/dead` — dead letters;
//! - `POST /v1/admin/gate/replay` with `{"site", "message_id", "destination"}` — queue a dead
//!   letter again (judged again at delivery, like any event).

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use kapsel_core::calendar::rfc3339;
use kapsel_core::consent::is_receipt_id;
use kapsel_store::{Delivery, GateEvents, TraceQuery};
use serde::Deserialize;
use serde_json::{Value, json};

use super::GateState;
use crate::error::{ApiError, FieldError};
use crate::extract::AdminBearer;
use crate::state::AppState;

/// Most rows one answer holds.
const LIMIT: i64 = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/admin/gate/trace", get(get_trace))
        .route("/v1/admin/gate/dead", get(get_dead))
        .route("/v1/admin/gate/replay", post(post_replay))
}

/// One trace row as JSON (`kapsel gate trace --json` prints the same).
pub fn delivery_json(d: &Delivery) -> Value {
    json!({
        "site": d.site,
        "message_id": d.message_id,
        "type": d.kind,
        "destination": d.destination,
        "state": d.state.as_str(),
        "reason": d.reason,
        "attempts": d.attempts,
        "received_at": rfc3339(d.received_ms),
        "decided_at": d.decided_ms.map(rfc3339),
        "receipt": d.receipt,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceParams {
    receipt: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
}

async fn get_trace(
    _: AdminBearer,
    State(gate): State<Arc<GateState>>,
    Query(params): Query<TraceParams>,
) -> Result<Json<Value>, ApiError> {
    let query = match params {
        TraceParams {
            receipt: Some(receipt),
            from: None,
            to: None,
        } => {
            if !is_receipt_id(&receipt) {
                return Err(ApiError::BadParameter {
                    field: "receipt".to_owned(),
                    message: "must be a receipt id (26 characters of Crockford base32)".to_owned(),
                });
            }
            TraceQuery::Receipt(receipt)
        }
        TraceParams {
            receipt: None,
            from: Some(from_ms),
            to,
        } => TraceQuery::Between {
            from_ms,
            to_ms: to.unwrap_or(i64::MAX),
        },
        _ => {
            return Err(ApiError::BadParameter {
                field: "receipt".to_owned(),
                message: "give either ?receipt=ID or ?from=MS[&to=MS] (Unix milliseconds)"
                    .to_owned(),
            });
        }
    };
    let rows = gate.store.trace(&query, LIMIT).await?;
    Ok(Json(json!({
        "deliveries": rows.iter().map(delivery_json).collect::<Vec<_>>(),
        "truncated": rows.len() as i64 == LIMIT,
    })))
}

async fn get_dead(
    _: AdminBearer,
    State(gate): State<Arc<GateState>>,
) -> Result<Json<Value>, ApiError> {
    let rows = gate.store.trace(&TraceQuery::Dead, LIMIT).await?;
    Ok(Json(json!({
        "dead": rows.iter().map(delivery_json).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    site: String,
    message_id: String,
    destination: String,
}

async fn post_replay(
    _: AdminBearer,
    State(gate): State<Arc<GateState>>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: ReplayBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Invalid(vec![FieldError::new("body", e.to_string())]))?;
    let now = gate.clock.now_ms();
    let queued = gate
        .store
        .replay(&body.site, &body.message_id, &body.destination, now)
        .await?;
    if !queued {
        return Err(ApiError::Conflict {
            field: "message_id".to_owned(),
            message: format!(
                "no dead letter of {} for {} with its event still kept",
                body.message_id, body.destination
            ),
        });
    }
    Ok(Json(json!({ "replayed": true })))
}
