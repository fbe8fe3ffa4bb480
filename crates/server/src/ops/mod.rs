//! Operating the server: liveness (`/healthz`), readiness (`/readyz`: can the ledger write?),
//! Prometheus metrics (`/metrics`) and the OpenAPI
//! description (`/openapi.json`). On the public listener metrics need the admin bearer token; the
//! ops listener serves them without one.

pub mod health;
pub mod metrics;
pub mod openapi;
pub mod ready;

use axum::Router;
use axum::routing::get;

use crate::state::AppState;

/// Health, OpenAPI and token-guarded metrics, for the public listener.
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::get_health))
        .route("/readyz", get(ready::get_ready))
        .route("/openapi.json", get(openapi::get_openapi))
        .route("/metrics", get(metrics::get_metrics))
}

/// Health and open metrics, for the ops listener.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::get_health))
        .route("/readyz", get(ready::get_ready))
        .route("/metrics", get(metrics::get_metrics_open))
}
