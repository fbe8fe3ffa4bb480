//! The accept loop against slow and greedy clients: connections that never finish their headers
//! do not starve `/healthz`; the header, body and inactivity timeouts close what they must; the
//! per-prefix and global caps close what is over them at once; a declared body over the limit is
//! a 413 before a byte of it is read. Raw sockets, bound to other loopback addresses where the
//! test needs other address prefixes (127.1.0.1 is in 127.1.0.0/24, not the client's 127.0.0.0/24).

use std::net::SocketAddr;
use std::time::Duration;

use kapsel_server::ServerConfig;
use kapsel_testkit::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, timeout};

/// Loopback counted like any other address (the exemption would skip the per-prefix cap).
fn counted(config: &mut ServerConfig) {
    config.limits.rate.exempt_loopback = false;
}

fn addr(server: &TestServer) -> SocketAddr {
    server.base.trim_start_matches("http://").parse().unwrap()
}

async fn connect_from(local: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{local}:0").parse().unwrap()).unwrap();
    socket.connect(server).await.unwrap()
}

/// Whether the server closed `stream` within `within` (EOF or reset, not a timeout).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match timeout(within, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {} // a response (408) before the close
        }
    }
}

/// One `/healthz` on a fresh connection; its latency.
async fn health_latency(server: &TestServer) -> Duration {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr(server)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: kapsel\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    timeout(Duration::from_secs(2), stream.read_to_end(&mut response))
        .await
        .expect("health answered within 2 s")
        .unwrap();
    assert!(
        response.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&response)
    );
    started.elapsed()
}

#[tokio::test]
async fn eleven_hundred_slow_header_connections_leave_health_answering_within_100_ms() {
    let server = TestServer::start_with(counted).await;
    let target = addr(&server);
    let per_prefix = server_limits().max_per_prefix;
    let mut slow = Vec::with_capacity(1100);
    for _ in 0..1100 {
        let mut stream = connect_from("127.1.0.1", target).await;
        // Headers begun, never finished.
        let _ = stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: kapsel\r\n")
            .await;
        slow.push(stream);
    }
    // Those over the per-prefix cap were closed at once; those under it still hang.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut closed = 0;
    for stream in slow.iter_mut() {
        if closed_within(stream, Duration::from_millis(2)).await {
            closed += 1;
        }
    }
    assert_eq!(
        closed,
        1100 - per_prefix,
        "closed over the cap of {per_prefix}"
    );

    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        worst = worst.max(health_latency(&server).await);
    }
    assert!(worst < Duration::from_millis(100), "health took {worst:?}");
    // Health answered while the ones under the cap held their slots (the header timeout is 10 s).
    let mut still_open = 0;
    for stream in slow.iter_mut() {
        if !closed_within(stream, Duration::from_millis(1)).await {
            still_open += 1;
        }
    }
    assert_eq!(still_open, per_prefix);
    eprintln!(
        "slow-client test: worst /healthz latency {worst:?} with {per_prefix} slow connections held"
    );
    drop(slow);
    server.stop().await;
}

fn server_limits() -> kapsel_server::ConnectionLimits {
    kapsel_server::ConnectionLimits::default()
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed_after_the_header_timeout() {
    let server = TestServer::start_with(|config| {
        config.limits.connections.header_timeout = Duration::from_millis(300);
    })
    .await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr(&server)).await.unwrap();
    stream
        .write_all(b"POST /v1/consent HTTP/1.1\r\n")
        .await
        .unwrap();
    assert!(closed_within(&mut stream, Duration::from_secs(3)).await);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    // A silent connection too: the header clock runs from the moment it waits for a request.
    let mut silent = TcpStream::connect(addr(&server)).await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(3)).await);
    server.stop().await;
}

#[tokio::test]
async fn a_body_that_stalls_gets_408_and_a_declared_oversize_body_413_at_once() {
    let server = TestServer::start_with(|config| {
        config.limits.connections.body_timeout = Duration::from_millis(300);
    })
    .await;
    let head = |length: usize| {
        format!(
            "POST /v1/consent HTTP/1.1\r\nHost: kapsel\r\nContent-Type: application/json\r\n\
             Content-Length: {length}\r\n\r\n"
        )
    };
    let mut stream = TcpStream::connect(addr(&server)).await.unwrap();
    stream.write_all(head(100).as_bytes()).await.unwrap();
    stream.write_all(b"{\"site\":").await.unwrap();
    let mut response = Vec::new();
    timeout(Duration::from_secs(3), stream.read_to_end(&mut response))
        .await
        .expect("answered and closed")
        .unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("/problems/request-timeout"), "{text}");

    // 10 MB declared, none sent: refused at once.
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr(&server)).await.unwrap();
    stream.write_all(head(10_000_000).as_bytes()).await.unwrap();
    let mut response = vec![0u8; 4096];
    let read = timeout(Duration::from_secs(2), stream.read(&mut response))
        .await
        .expect("answered without the body")
        .unwrap();
    let text = String::from_utf8_lossy(&response[..read]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(started.elapsed() < Duration::from_millis(250));
    assert_eq!(server.ledger_len().await, 0);
    server.stop().await;
}

#[tokio::test]
async fn connections_over_the_global_cap_are_closed_at_once_and_slots_come_back() {
    let server = TestServer::start_with(|config| {
        counted(config);
        config.limits.connections.max_connections = 20;
    })
    .await;
    let target = addr(&server);
    let mut held = Vec::new();
    // Five prefixes of five: 25 connections for 20 places (one may be the test client's pooled
    // health-check connection).
    for prefix in 1..=5 {
        for _ in 0..5 {
            held.push(connect_from(&format!("127.{prefix}.0.1"), target).await);
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut open = 0;
    for stream in held.iter_mut() {
        if !closed_within(stream, Duration::from_millis(2)).await {
            open += 1;
        }
    }
    assert!(
        (19..=20).contains(&open),
        "{open} connections open under a cap of 20"
    );
    let mut over = connect_from("127.9.0.1", target).await;
    assert!(closed_within(&mut over, Duration::from_millis(500)).await);
    drop(held);
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Slots freed by closing are given again.
    assert!(health_latency(&server).await < Duration::from_secs(1));
    server.stop().await;
}
