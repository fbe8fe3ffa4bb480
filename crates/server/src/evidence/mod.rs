//! The ledger as evidence, for outsiders: the instance's public keys with their validity
//! periods (`GET /.well-known/kapsel/keys`), and the signed checkpoints of each chain's head
//! (`GET /v1/checkpoints`, `/v1/checkpoints/{chain}`, `/v1/checkpoints/{chain}/history`),
//! which the server signs at a fixed interval when the head moved and on shutdown
//! (`checkpoints::run`). Formats: docs/ledger.md.

pub mod checkpoints;
pub mod keys;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use kapsel_core::signing::SigningKey;
use kapsel_store::Store;

use crate::state::AppState;

/// What the evidence routes read.
pub struct EvidenceState {
    pub store: Store,
    pub key: Arc<SigningKey>,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/kapsel/keys", get(keys::get_keys))
        .route(
            "/v1/checkpoints",
            get(checkpoints::get_latest_of_every_chain),
        )
        .route("/v1/checkpoints/{chain}", get(checkpoints::get_latest))
        .route(
            "/v1/checkpoints/{chain}/history",
            get(checkpoints::get_history),
        )
}
