//! Request metrics: every request counted and timed by matched route template, method and
//! status. Labels never carry personal data (route templates, not paths with ids).

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

/// Middleware: counts and times every request by matched route and status.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    #[allow(clippy::disallowed_methods)] // Elapsed time for a metric, not a timestamp.
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let elapsed = started.elapsed().as_secs_f64();
    // Route templates and statuses only: never paths with ids, addresses or agents.
    tracing::debug!(%method, %route, %status, ms = elapsed * 1000.0, "request");
    metrics::histogram!("kapsel_http_request_duration_seconds", "route" => route.clone(), "method" => method.clone())
        .record(elapsed);
    metrics::counter!("kapsel_http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    response
}
