//! The accept loop of both listeners, on hyper's HTTP/1 server instead of `axum::serve`, for the
//! knobs that one lacks: a header-read timeout, an inactivity timeout, a global connection cap
//! and a cap per address prefix of the socket peer. A connection over a cap is closed at once,
//! so the kernel's backlog never fills with connections nobody serves. On shutdown each
//! connection finishes its request in flight and closes; connections still open after a grace
//! period are dropped, so a slow client cannot hold shutdown (and the ledger's drain) hostage.
//!
//! Nothing here logs an address, at any level: not the peer, not its prefix.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use kapsel_core::consent::ip;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::config::{ConnectionLimits, ProxyTrust};
use crate::idle::Inactivity;
use crate::middleware::edge::is_loopback;

/// Who is not counted against the per-prefix cap.
#[derive(Debug, Clone, Default)]
pub struct PrefixCap {
    /// Connections at most per prefix; `None` for no per-prefix cap (the ops listener).
    pub max: Option<usize>,
    /// Trusted proxies carry many clients and are not counted.
    pub proxies: ProxyTrust,
    /// Loopback peers are not counted (the rate limit's loopback exemption).
    pub exempt_loopback: bool,
}

/// Serves `app` on `listener` until `shutdown` fires, then drains the open connections.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    prefix_cap: PrefixCap,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let permits = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let open = Arc::new(Semaphore::new(permits));
    let per_prefix = Arc::new(PrefixCounts::default());
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let builder = Arc::new(builder);
    let mut accept_errors = AcceptErrors::default();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                accept_errors.report(&error);
                // Out of file descriptors or similar: give connections time to close.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            metrics::counter!("kapsel_connections_refused_total", "cap" => "global").increment(1);
            drop(stream);
            continue;
        };
        let prefix_slot = match counted_prefix(&prefix_cap, peer.ip()) {
            None => None,
            Some((prefix, max)) => match per_prefix.enter(prefix, max) {
                Some(slot) => Some(slot),
                None => {
                    metrics::counter!("kapsel_connections_refused_total", "cap" => "prefix")
                        .increment(1);
                    drop(stream);
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            app: app.clone(),
            builder: builder.clone(),
            limits: limits.clone(),
            shutdown: shutdown.clone(),
            _permit: permit,
            _prefix_slot: prefix_slot,
        };
        tokio::spawn(connection.run(stream, peer));
    }
    // Every connection holds a permit until it has closed: taking them all back is the drain.
    let _drained = open
        .acquire_many(u32::try_from(permits).unwrap_or(u32::MAX))
        .await;
    Ok(())
}

/// The prefix to count `peer` under and the cap, unless it is not counted.
fn counted_prefix(cap: &PrefixCap, peer: IpAddr) -> Option<(String, usize)> {
    let max = cap.max?;
    let peer = peer.to_canonical();
    if cap.proxies.trusts(peer) || (cap.exempt_loopback && is_loopback(peer)) {
        return None;
    }
    Some((ip::truncate(peer), max))
}

/// One accepted connection and what it holds until it closes.
struct Connection {
    app: Router,
    builder: Arc<http1::Builder>,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
    _permit: OwnedSemaphorePermit,
    _prefix_slot: Option<PrefixSlot>,
}

impl Connection {
    async fn run(self, stream: TcpStream, peer: SocketAddr) {
        metrics::gauge!("kapsel_connections_open").increment(1.0);
        let app = self.app;
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            async move {
                let response = app.oneshot(request.map(Body::new)).await;
                Ok::<_, Infallible>(match response {
                    Ok(response) => response,
                    Err(never) => match never {},
                })
            }
        });
        let io = TokioIo::new(Inactivity::new(stream, self.limits.idle_timeout));
        let connection = self.builder.serve_connection(io, service);
        tokio::pin!(connection);
        let ended = tokio::select! {
            ended = connection.as_mut() => Some(ended),
            _ = self.shutdown.cancelled() => None,
        };
        let ended = match ended {
            Some(ended) => ended,
            None => {
                // Finish the request in flight, then close; a slow client gets a grace period.
                connection.as_mut().graceful_shutdown();
                let grace = self
                    .limits
                    .header_timeout
                    .max(self.limits.body_timeout)
                    .max(Duration::from_secs(5));
                tokio::time::timeout(grace, connection)
                    .await
                    .unwrap_or(Ok(()))
            }
        };
        if let Err(error) = ended {
            // hyper's errors name no address; timeouts and resets are the client's business.
            tracing::debug!(%error, "connection closed with an error");
        }
        metrics::gauge!("kapsel_connections_open").decrement(1.0);
    }
}

/// Open connections per prefix, for the per-prefix cap.
#[derive(Default)]
struct PrefixCounts {
    counts: Mutex<HashMap<String, usize>>,
}

impl PrefixCounts {
    /// A slot for one more connection from `prefix`, or `None` at the cap.
    fn enter(self: &Arc<Self>, prefix: String, max: usize) -> Option<PrefixSlot> {
        let mut counts = lock(&self.counts);
        let count = counts.entry(prefix.clone()).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(PrefixSlot {
            counts: self.clone(),
            prefix,
        })
    }
}

/// One connection counted under its prefix, until dropped.
struct PrefixSlot {
    counts: Arc<PrefixCounts>,
    prefix: String,
}

impl Drop for PrefixSlot {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts.counts);
        if let Some(count) = counts.get_mut(&self.prefix) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.prefix);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Accept errors are logged at most once a second, with how many were not.
#[derive(Default)]
struct AcceptErrors {
    last: Option<tokio::time::Instant>,
    suppressed: u64,
}

impl AcceptErrors {
    fn report(&mut self, error: &std::io::Error) {
        metrics::counter!("kapsel_accept_errors_total").increment(1);
        let now = tokio::time::Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < Duration::from_secs(1))
        {
            self.suppressed += 1;
            return;
        }
        tracing::warn!(%error, suppressed = self.suppressed, "cannot accept a connection");
        self.last = Some(now);
        self.suppressed = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_gets_its_cap_and_a_slot_comes_back_when_dropped() {
        let counts = Arc::new(PrefixCounts::default());
        let first = counts.enter("192.0.2.0/24".into(), 2).unwrap();
        let _second = counts.enter("192.0.2.0/24".into(), 2).unwrap();
        assert!(counts.enter("192.0.2.0/24".into(), 2).is_none());
        assert!(counts.enter("198.51.100.0/24".into(), 2).is_some());
        drop(first);
        assert!(counts.enter("192.0.2.0/24".into(), 2).is_some());
    }

    #[test]
    fn trusted_proxies_and_exempt_loopback_are_not_counted() {
        let cap = PrefixCap {
            max: Some(4),
            proxies: ProxyTrust {
                trusted: vec![crate::config::parse_network("10.0.0.0/8").unwrap()],
                ..ProxyTrust::default()
            },
            exempt_loopback: true,
        };
        assert_eq!(counted_prefix(&cap, "10.1.1.1".parse().unwrap()), None);
        assert_eq!(counted_prefix(&cap, "127.0.0.1".parse().unwrap()), None);
        assert_eq!(
            counted_prefix(&cap, "203.0.113.9".parse().unwrap()),
            Some(("203.0.113.0/24".to_owned(), 4))
        );
        let strict = PrefixCap {
            exempt_loopback: false,
            ..cap
        };
        assert!(counted_prefix(&strict, "127.0.0.1".parse().unwrap()).is_some());
        let none = PrefixCap::default();
        assert_eq!(counted_prefix(&none, "203.0.113.9".parse().unwrap()), None);
    }
}
