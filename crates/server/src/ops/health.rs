//! `GET /healthz`: 200 while the server accepts requests. It checks nothing else, so a load
//! balancer never takes an instance out for a slow database.

use axum::http::StatusCode;

/// Liveness: answers `200 ok`.
pub async fn get_health() -> (StatusCode, &'static str) {
    (StatusCode::OK, "ok\n")
}
