//! Who is calling, minimised at the edge: the client's address is truncated (IPv4 /24, IPv6 /48)
//! the moment it is read, and only the prefix travels on (request extension
//! [`ClientPrefix`](crate::extract::ClientPrefix)). Behind trusted proxies the address is the
//! one `forwarded::client_addr` finds. The middleware here also applies the per-prefix rate
//! limit; its loopback exemption holds only for a loopback socket peer, never for an address a
//! header named.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kapsel_core::consent::ip;

use crate::error::ApiError;
use crate::extract::ClientPrefix;
use crate::middleware::forwarded::client_addr;
use crate::state::EdgeState;

/// Loopback, IPv4-mapped loopback included.
pub fn is_loopback(addr: IpAddr) -> bool {
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
    let client = client_addr(peer.map(|p| p.ip()), request.headers(), &state.proxy);
    let prefix = client.ip.map(ip::truncate);
    let exempt =
        !client.forwarded && client.ip.is_some_and(is_loopback) && state.limiter.exempts_loopback();
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

    #[test]
    fn loopback_includes_mapped_v4() {
        assert!(is_loopback("::ffff:127.0.0.1".parse().unwrap()));
        assert!(is_loopback("::1".parse().unwrap()));
        assert!(!is_loopback("192.0.2.1".parse().unwrap()));
    }
}
