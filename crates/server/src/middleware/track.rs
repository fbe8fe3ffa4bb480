//! Request metrics: every request counted and timed by matched route template, method and
//! status. Labels never carry personal data (route templates, not paths with ids), and every
//! label takes a bounded set of values whatever the client sends: routes are the router's
//! templates (or `unmatched`), methods the standard ones (or `other`), statuses three digits.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

/// Middleware: counts and times every request by matched route and status.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(request.method());
    #[allow(clippy::disallowed_methods)] // Elapsed time for a metric, not a timestamp.
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let elapsed = started.elapsed().as_secs_f64();
    // Route templates and statuses only: never paths with ids, addresses or agents.
    tracing::debug!(%method, %route, %status, ms = elapsed * 1000.0, "request");
    metrics::histogram!("kapsel_http_request_duration_seconds", "route" => route.clone(), "method" => method)
        .record(elapsed);
    metrics::counter!("kapsel_http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    response
}

/// The method as a label: one of the standard methods, or `other` for anything a client made up.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("other", |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_up_methods_are_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
        assert_eq!(method_label(&Method::from_bytes(b"get").unwrap()), "other");
    }
}
