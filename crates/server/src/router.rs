//! The route tables. The public listener merges each feature's `routes()` and then applies the
//! edge layers; the ops listener serves health and metrics. `docs/openapi.json` describes every
//! public route (a test checks it). A new feature (desk, gate, console) adds one `.merge` line.

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};

use crate::demo::DemoSite;
use crate::middleware::{request_body, security_headers, track};
use crate::state::AppState;
use crate::{banner, consent, error, ops, pages};

/// The public listener: the consent API and receipts, the banner script (`/s/{site}.js`), the
/// document pages, the privacy centre (`/sites/{site}/rights…`), health, OpenAPI and token-guarded metrics; the demo site (`/demo/`) only
/// when `demo` is given.
pub fn public(state: AppState, demo: Option<DemoSite>) -> Router {
    let mut app = Router::new()
        .merge(ops::public_routes())
        .merge(consent::routes(&state))
        .merge(banner::routes())
        .merge(pages::routes())
        .merge(crate::evidence::routes())
        .merge(crate::desk::routes(&state))
        .merge(crate::desk::admin::routes())
        .merge(crate::gate::routes(&state))
        .merge(crate::console::routes(&state))
        .merge(crate::console::scans::admin_routes());
    if let Some(site) = demo {
        app = app.merge(crate::demo::routes(site));
    }
    app.fallback(error::no_such_route)
        .layer(from_fn_with_state(
            state.edge.clone(),
            request_body::check_body,
        ))
        .layer(from_fn(track::track))
        .layer(from_fn(error::problem_for_bare_405))
        .layer(from_fn_with_state(
            state.sites.clone(),
            security_headers::secure,
        ))
        .with_state(state)
}

/// The ops listener: health and metrics without a token (the listener itself is the boundary).
pub fn ops(state: AppState) -> Router {
    ops::routes().with_state(state)
}
