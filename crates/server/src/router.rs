//! The route table: every public route in one flat list, then the layers that apply to them.
//! Other parts of the server add their routes here with one `.route` or `.merge` line each.
//! `docs/openapi.json` describes every route listed here (a test checks it).

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};

use crate::state::AppState;
use crate::{banner, client, consent, cors, demo, error, health, metrics, openapi, pages, receipt};

/// The public listener: consent API, receipts, health, OpenAPI, token-guarded metrics, the
/// banner script (`/s/{site}.js`) and the demo site (`/demo/`).
pub fn public(state: AppState) -> Router {
    let consent_api = Router::new()
        .route("/v1/consent", post(consent::post_consent))
        .route("/v1/receipts/{id}", get(receipt::get_receipt))
        .layer(DefaultBodyLimit::max(state.body_limit))
        .layer(from_fn_with_state(state.clone(), client::limit_by_prefix))
        .layer(from_fn_with_state(state.clone(), cors::cors));
    Router::new()
        .route("/healthz", get(health::get_health))
        .route("/openapi.json", get(openapi::get_openapi))
        .route("/metrics", get(metrics::get_metrics))
        .merge(consent_api)
        .merge(banner::routes_for(&state))
        .merge(pages::routes())
        .merge(demo::routes(demo::DemoSite::from_file(&state.privacy)))
        .fallback(error::no_such_route)
        .layer(from_fn(metrics::track))
        .layer(from_fn(error::problem_for_bare_405))
        .with_state(state)
}

/// The admin listener: metrics without a token, and health.
pub fn admin(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health::get_health))
        .route("/metrics", get(metrics::get_metrics_open))
        .with_state(state)
}
