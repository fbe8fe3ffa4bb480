//! The consent gate's HTTP side: Segment's HTTP Tracking API for events (`ingest`), the settings
//! analytics.js loads (`settings`), and the admin routes for the decision trace and dead letters
//! (`admin`). Delivery runs in `kapsel_gate`'s workers, started here with the server.
//!
//! The ingest routes carry CORS for the sites' declared domains but not the per-prefix rate
//! limit of the consent API: every request is authenticated by a site's write key, and a site's
//! own server (analytics-node) sends all its visitors' events from one address.

pub mod admin;
pub mod ingest;
pub mod settings;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use kapsel_core::{Clock, Random, Secret};
use kapsel_gate::{Gate, JetStreamOutbox, Outbox};

use crate::config::ProxyTrust;
use crate::middleware::cors;
use crate::state::AppState;

/// What ingest needs.
pub struct GateState {
    pub gate: Arc<Gate>,
    /// The trace and dead letters (events are committed through `outbox`).
    pub store: kapsel_store::Store,
    pub outbox: Arc<dyn Outbox>,
    /// Set when `outbox` is JetStream: its workers deliver beside the store's (which then
    /// delivers only replayed dead letters).
    pub jetstream: Option<JetStreamOutbox>,
    /// Each site's write key.
    pub write_keys: Vec<(String, Secret)>,
    /// Sites whose events' `context.consent.categoryPreferences` are believed without a receipt.
    pub client_consent: BTreeSet<String>,
    /// The desk's key: subjects are matched to its objection list by keyed hashes under it.
    pub desk_key: Option<Secret>,
    /// Which identifier the events' `userId` is (`[gate] user_id` in the privacy file).
    pub user_id_kind: Option<String>,
    pub categories: BTreeSet<String>,
    pub proxy: ProxyTrust,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    /// `[server] public_url`: where analytics.js is told to send.
    pub public_url: String,
}

impl GateState {
    /// The site whose write key this is.
    pub fn site_of(&self, write_key: &str) -> Option<&str> {
        self.write_keys
            .iter()
            .find(|(_, key)| key.matches(write_key))
            .map(|(site, _)| site.as_str())
    }
}

/// Whether `path` is an ingest route (its body may be a whole batch).
pub fn is_ingest(path: &str) -> bool {
    ingest::PATHS.iter().any(|(p, _)| *p == path)
}

/// The gate's public routes.
pub fn routes(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for (path, _) in ingest::PATHS {
        router = router.route(path, post(ingest::post_events));
    }
    router
        .route("/v1/m", post(ingest::post_metrics))
        .route(
            "/v1/projects/{write_key}/settings",
            get(settings::get_settings),
        )
        .layer(from_fn_with_state(state.edge.clone(), cors::cors))
        .merge(admin::routes())
}

/// Starts one delivery worker per destination; they stop with `shutdown`. This instance's
/// chain id names it as the holder of the workers' leases.
pub fn start_workers(
    state: &AppState,
    mut options: kapsel_gate::DeliveryOptions,
    shutdown: tokio_util::sync::CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let gate = &state.gate;
    options.holder = state.consent.ledger.chain_id().to_owned();
    let http = reqwest::Client::builder()
        .timeout(options.timeout)
        .build()
        .unwrap_or_default();
    let context = kapsel_gate::Context {
        store: gate.store.clone(),
        gate: gate.gate.clone(),
        clock: gate.clock.clone(),
        random: gate.random.clone(),
        http,
        options,
    };
    let mut workers = Vec::new();
    for route in &gate.gate.routes {
        workers.push(tokio::spawn(kapsel_gate::run_worker(
            context.clone(),
            route.clone(),
            shutdown.clone(),
        )));
        if let Some(outbox) = &gate.jetstream {
            workers.push(tokio::spawn(kapsel_gate::jetstream::run_worker(
                context.clone(),
                outbox.clone(),
                route.clone(),
                shutdown.clone(),
            )));
        }
    }
    workers
}
