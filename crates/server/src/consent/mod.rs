//! The consent API: `POST /v1/consent` records a visitor's choice (`record`, with the strict
//! body schema in `body`), `GET /v1/receipts/{id}` answers a receipt's current state
//! (`receipt`), `POST /v1/banner-views` counts the banner's first layer shown or ignored
//! (`views`). All sit behind the edge (rate limit per address prefix, CORS for the sites'
//! declared domains) and a body limit.

pub mod body;
pub mod receipt;
pub mod record;
pub mod scan;
pub mod signer;
pub mod views;
pub mod writer;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use crate::middleware::{cors, edge};
use crate::state::AppState;

/// The consent routes with their edge layers.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/v1/consent", post(record::post_consent))
        .route("/v1/receipts/{id}", get(receipt::get_receipt))
        .route("/v1/banner-views", post(views::post_view))
        .layer(DefaultBodyLimit::max(state.consent.body_limit))
        .layer(from_fn_with_state(
            state.edge.clone(),
            edge::limit_by_prefix,
        ))
        .layer(from_fn_with_state(state.edge.clone(), cors::cors))
}
