//! `GET /v1/projects/{write_key}/settings`: what analytics.js (`@segment/analytics-next`)
//! fetches from its CDN before it sends anything, answered for a site's write key so that the
//! library needs only its `cdnURL` pointed here. The answer names one destination, Segment.io,
//! sending to this server's `/v1`; usage metrics are switched off (`sampleRate: 0`), so the
//! library sends nothing anywhere else and loads no other script.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use super::GateState;
use crate::error::ApiError;

pub async fn get_settings(
    State(state): State<Arc<GateState>>,
    Path(write_key): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    if state.site_of(&write_key).is_none() {
        return Err(ApiError::WrongWriteKey);
    }
    let (protocol, host) = match state.public_url.split_once("://") {
        Some((scheme, rest)) if !rest.is_empty() => (scheme.to_owned(), rest.to_owned()),
        _ => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let local = ["localhost", "127.0.0.1", "[::1]"]
                .iter()
                .any(|l| host == *l || host.starts_with(&format!("{l}:")));
            (if local { "http" } else { "https" }.to_owned(), host)
        }
    };
    Ok(Json(json!({
        "integrations": {
            "Segment.io": {
                "apiKey": write_key,
                "apiHost": format!("{}/v1", host.trim_end_matches('/')),
                "protocol": protocol,
            }
        },
        "plan": {"track": {"__default": {"enabled": true}}},
        "metrics": {"sampleRate": 0},
    })))
}
