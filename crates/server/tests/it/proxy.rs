//! Hostile proxies and hostile clients: only a trusted socket peer's forwarding header is read,
//! from the right; a spoofed `X-Forwarded-For: 127.0.0.1` neither escapes the rate limit nor
//! chooses the stored prefix; `Forwarded` works the same when configured. The server's socket
//! peer is loopback, so the tests trust (or not) `127.0.0.1` and connect from `127.0.0.2` when
//! they need an untrusted peer.

use kapsel_server::{ForwardedHeader, ProxyTrust, RateLimit, ServerConfig, parse_network};
use kapsel_store::LedgerRead;
use kapsel_testkit::TestServer;

fn trust(config: &mut ServerConfig, networks: &[&str], header: ForwardedHeader) {
    config.proxy = ProxyTrust {
        trusted: networks.iter().map(|n| parse_network(n).unwrap()).collect(),
        header,
    };
}

/// A tight limit that still exempts loopback peers (the default), as a production server has.
fn tight(config: &mut ServerConfig) {
    config.limits.rate = RateLimit {
        per_second: 0.01,
        burst: 2,
        exempt_loopback: true,
    };
}

async fn post_with(server: &TestServer, header: &str, value: &str) -> reqwest::Response {
    server
        .client
        .post(server.url("/v1/consent"))
        .header(header, value)
        .json(&server.valid_body())
        .send()
        .await
        .unwrap()
}

/// The stored prefix of the record a 201 answered.
async fn stored_prefix(server: &TestServer, response: reqwest::Response) -> Option<String> {
    assert_eq!(response.status(), 201);
    let receipt: serde_json::Value = response.json().await.unwrap();
    let id = receipt["id"].as_str().unwrap();
    let record = server.store.get_record(id).await.unwrap().unwrap();
    record.context.ip_prefix
}

#[tokio::test]
async fn a_spoofed_loopback_forwarded_for_does_not_switch_off_the_rate_limit() {
    let server = TestServer::start_with(|config| {
        tight(config);
        trust(config, &["127.0.0.1"], ForwardedHeader::XForwardedFor);
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            post_with(&server, "x-forwarded-for", "127.0.0.1")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [201, 201, 429, 429]);
    // The proxy itself (no header) is still a loopback peer and exempt.
    for _ in 0..3 {
        assert_eq!(
            server.post_consent(&server.valid_body()).await.status(),
            201
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn rotating_the_leftmost_entry_neither_escapes_the_limit_nor_chooses_the_prefix() {
    let server = TestServer::start_with(|config| {
        tight(config);
        trust(config, &["127.0.0.1"], ForwardedHeader::XForwardedFor);
    })
    .await;
    let first = post_with(&server, "x-forwarded-for", "192.0.2.1, 203.0.113.9").await;
    assert_eq!(
        stored_prefix(&server, first).await.as_deref(),
        Some("203.0.113.0/24"),
        "the prefix is the one the proxy saw, not the one the client wrote"
    );
    let second = post_with(&server, "x-forwarded-for", "198.51.100.1, 203.0.113.9").await;
    assert_eq!(second.status(), 201);
    for spoof in 2..6 {
        let chain = format!("192.0.{spoof}.1, 203.0.113.9");
        let response = post_with(&server, "x-forwarded-for", &chain).await;
        assert_eq!(response.status(), 429, "{chain}");
    }
    server.stop().await;
}

#[tokio::test]
async fn an_untrusted_peer_is_the_client_whatever_header_it_sends() {
    let server = TestServer::start_with(|config| {
        trust(config, &["10.0.0.0/8"], ForwardedHeader::XForwardedFor);
    })
    .await;
    let response = post_with(&server, "x-forwarded-for", "203.0.113.9").await;
    assert_eq!(
        stored_prefix(&server, response).await.as_deref(),
        Some("127.0.0.0/24")
    );
    server.stop().await;

    // Trusting 127.0.0.1 only: a client connecting from 127.0.0.2 is not a proxy, and is
    // limited as the address it is (loopback peers are exempt only by the socket, so with the
    // exemption off the header must not help it escape either).
    let server = TestServer::start_with(|config| {
        config.limits.rate = RateLimit {
            per_second: 0.01,
            burst: 1,
            exempt_loopback: false,
        };
        trust(config, &["127.0.0.1"], ForwardedHeader::XForwardedFor);
    })
    .await;
    let from_other = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    let mut statuses = Vec::new();
    for spoof in 0..3 {
        let response = from_other
            .post(server.url("/v1/consent"))
            .header("x-forwarded-for", format!("198.51.{spoof}.1"))
            .json(&server.valid_body())
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [201, 429, 429]);
    server.stop().await;
}

#[tokio::test]
async fn a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop() {
    let server = TestServer::start_with(|config| {
        trust(
            config,
            &["127.0.0.0/8", "10.0.0.0/8"],
            ForwardedHeader::XForwardedFor,
        );
    })
    .await;
    // The client wrote 6.6.6.6; the edge proxy saw 198.51.100.7; an inner proxy 10.1.2.3.
    for header in [
        "6.6.6.6, 198.51.100.7, 10.1.2.3",
        "6.6.6.6, 198.51.100.7:4711, 10.1.2.3",
    ] {
        let response = post_with(&server, "x-forwarded-for", header).await;
        assert_eq!(
            stored_prefix(&server, response).await.as_deref(),
            Some("198.51.100.0/24"),
            "{header}"
        );
    }
    // A proxy that names no one: no prefix is stored rather than the client's claim.
    let response = post_with(&server, "x-forwarded-for", "6.6.6.6, unknown, 10.1.2.3").await;
    assert_eq!(stored_prefix(&server, response).await, None);
    server.stop().await;
}

#[tokio::test]
async fn forwarded_is_read_when_configured_and_x_forwarded_for_then_is_not() {
    let server = TestServer::start_with(|config| {
        trust(config, &["127.0.0.1"], ForwardedHeader::Forwarded);
    })
    .await;
    let response = server
        .client
        .post(server.url("/v1/consent"))
        .header("x-forwarded-for", "192.0.2.1")
        .header(
            "forwarded",
            r#"for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https"#,
        )
        .json(&server.valid_body())
        .send()
        .await
        .unwrap();
    assert_eq!(
        stored_prefix(&server, response).await.as_deref(),
        Some("2001:db8:cafe::/48")
    );
    // The client's own X-Forwarded-For is not read at all with `Forwarded` configured.
    let response = post_with(&server, "x-forwarded-for", "192.0.2.1").await;
    assert_eq!(
        stored_prefix(&server, response).await.as_deref(),
        Some("127.0.0.0/24")
    );
    // An obfuscated identifier names no one.
    let response = post_with(&server, "forwarded", "for=_hidden").await;
    assert_eq!(stored_prefix(&server, response).await, None);
    server.stop().await;
}
