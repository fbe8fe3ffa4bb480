//! Who is calling, minimised at the edge: the client's address is truncated (IPv4 /24, IPv6 /48)
//! the moment it is read, and only the prefix travels on (request extension
//! [`ClientPrefix`](crate::extract::ClientPrefix)). The middleware here also applies the
//! per-prefix rate limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kapsel_core::consent::ip;

use crate::error::ApiError;
use crate::extract::ClientPrefix;
use crate::state::EdgeState;

/// The client's address: the socket peer, or the first `X-Forwarded-For` entry when the proxy
/// is trusted and the header parses.
fn client_ip(peer: Option<SocketAddr>, headers: &HeaderMap, trust_proxy: bool) -> Option<IpAddr> {
    if trust_proxy {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .and_then(|first| {
                first
                    .parse::<IpAddr>()
                    .ok()
                    .or_else(|| first.parse::<SocketAddr>().ok().map(|s| s.ip()))
            });
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|p| p.ip())
}

fn is_loopback(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Middleware: truncates the client address, rate-limits by its prefix, and passes the prefix on.
pub async fn limit_by_prefix(
    State(state): State<Arc<EdgeState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let addr = client_ip(peer, request.headers(), state.trust_proxy);
    let prefix = addr.map(ip::truncate);
    let exempt = addr.is_some_and(is_loopback) && state.limiter.exempts_loopback();
    if !exempt {
        let key = prefix.as_deref().unwrap_or("unknown");
        #[allow(clippy::disallowed_methods)] // Token buckets refill by elapsed time.
        let now = Instant::now();
        if let Err(wait) = state.limiter.take(key, now) {
            metrics::counter!("kapsel_rate_limited_total").increment(1);
            let retry_after_s = wait.as_secs().saturating_add(1);
            return ApiError::RateLimited { retry_after_s }.into_response();
        }
    }
    request.extensions_mut().insert(ClientPrefix(prefix));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn forwarded_for_is_used_only_when_trusted() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 10.0.0.1"),
        );
        assert_eq!(client_ip(Some(peer), &headers, false), Some(peer.ip()));
        assert_eq!(
            client_ip(Some(peer), &headers, true),
            "203.0.113.9".parse().ok()
        );
        headers.insert("x-forwarded-for", HeaderValue::from_static("garbage"));
        assert_eq!(client_ip(Some(peer), &headers, true), Some(peer.ip()));
    }

    #[test]
    fn loopback_includes_mapped_v4() {
        assert!(is_loopback("::ffff:127.0.0.1".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(!is_loopback("192.0.2.1".parse().unwrap()));
    }
}
