//! Prometheus metrics: the process-wide recorder (installed once, shared by every server in the
//! process) and `/metrics` — on the public listener only with `Authorization: Bearer <admin
//! token>`, on the ops listener without. Requests are counted by `middleware::track`. Labels
//! never carry personal data (routes are templates, not paths).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::extract::AdminBearer;
use crate::state::OpsState;

/// Request-duration buckets in seconds: 100 µs to 5 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide Prometheus handle, installing the recorder on first use. If another recorder
/// is already installed, a detached one is returned (its output is then empty but valid).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = match builder.set_buckets(&LATENCY_BUCKETS) {
                Ok(with_buckets) => with_buckets,
                Err(_) => PrometheusBuilder::new(),
            };
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
            }
            handle
        })
        .clone()
}

/// Copies the ledger writer's counters into the registry, then renders it.
fn render(state: &OpsState) -> Response {
    let stats = state.ledger.stats();
    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    metrics::counter!("kapsel_ledger_batches_total").absolute(load(&stats.batches));
    metrics::counter!("kapsel_ledger_records_total").absolute(load(&stats.records));
    metrics::counter!("kapsel_ledger_failed_batches_total").absolute(load(&stats.failed_batches));
    super::ready::export_gauge(&state.ledger);
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// `GET /metrics` on the public listener: requires the admin bearer token.
pub async fn get_metrics(State(state): State<Arc<OpsState>>, _admin: AdminBearer) -> Response {
    render(&state)
}

/// `GET /metrics` on the ops listener: no token, the listener itself is the boundary.
pub async fn get_metrics_open(State(state): State<Arc<OpsState>>) -> Response {
    render(&state)
}
