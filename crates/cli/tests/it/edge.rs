//! The real binary's public edge, as an operator runs it: at `KAPSEL_LOG=trace` no full client
//! address reaches the log — not the socket peer with its port (axum's own accept loop logged
//! `connection 127.0.0.1:48546 accepted`), not an address a trusted proxy forwarded.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::harness::{EXAMPLE, Server};

/// Sends `request` on a fresh connection and reads the answer; returns the connection's own
/// address, as the server saw it.
fn exchange(server: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(server).unwrap();
    let peer = stream.local_addr().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    peer.to_string()
}

#[tokio::test]
async fn no_full_client_address_is_logged_even_at_trace() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(
        EXAMPLE,
        &[
            "--data".into(),
            data.path().display().to_string(),
            "--trusted-proxy".into(),
            "127.0.0.1".into(),
        ],
        &[("KAPSEL_LOG", "trace")],
    );
    server.wait_healthy().await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut peers = Vec::new();
    peers.push(exchange(
        &addr,
        "GET /healthz HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n",
    ));
    let body = r#"{"site":"www","revision":"nope","language":"nb","action":"reject_all"}"#;
    peers.push(exchange(
        &addr,
        &format!(
            "POST /v1/consent HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\
             X-Forwarded-For: 198.51.100.23, 203.0.113.77\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    ));
    // Garbage, and a connection that gives up halfway through its headers.
    peers.push(exchange(&addr, "NOT HTTP AT ALL\r\n\r\n"));
    {
        let mut half = TcpStream::connect(&addr).unwrap();
        peers.push(half.local_addr().unwrap().to_string());
        half.write_all(b"GET /healthz HTTP/1.1\r\nHost:").unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stderr = server.stderr();
    assert!(server.terminate().success());
    assert!(stderr.lines().count() > 10, "trace logging is on: {stderr}");
    for peer in &peers {
        assert!(
            !stderr.contains(peer.as_str()),
            "{peer} is in the log:\n{stderr}"
        );
        let port = peer.rsplit(':').next().unwrap();
        assert!(
            !stderr.contains(&format!(":{port} ")) && !stderr.contains(&format!(":{port}\n")),
            "the port of {peer} is in the log:\n{stderr}"
        );
    }
    for forwarded in ["203.0.113.77", "198.51.100.23"] {
        assert!(!stderr.contains(forwarded), "{forwarded} is in the log");
    }
}
