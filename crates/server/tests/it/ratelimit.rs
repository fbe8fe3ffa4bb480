//! The per-prefix rate limit: a burst goes through, the next request is a 429 problem with
//! Retry-After; loopback is exempt by default.

use kapsel_server::RateLimit;

use kapsel_testkit::{TestServer, assert_problem};

#[tokio::test]
async fn a_prefix_over_its_burst_gets_429_with_retry_after() {
    let server = TestServer::start_with(|config| {
        config.limits.rate = RateLimit {
            per_second: 0.5,
            burst: 3,
            exempt_loopback: false,
        };
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            server.post_consent(&server.valid_body()).await.status(),
            201
        );
    }
    let response = server.post_consent(&server.valid_body()).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&retry_after), "Retry-After {retry_after}");
    let body = response_problem(response).await;
    assert_eq!(body["type"], "/problems/rate-limited");
    // Receipts share the bucket.
    let response = server
        .client
        .get(server.url("/v1/receipts/0123456789ABCDEFGHJKMNPQRS"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    // Health is never limited.
    assert_eq!(
        server
            .client
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(server.ledger_len().await, 3);
    server.stop().await;
}

async fn response_problem(response: reqwest::Response) -> serde_json::Value {
    assert_eq!(response.status(), 429);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.unwrap()
}

#[tokio::test]
async fn loopback_is_exempt_by_default() {
    let server = TestServer::start_with(|config| {
        config.limits.rate = RateLimit {
            per_second: 0.5,
            burst: 1,
            exempt_loopback: true,
        };
    })
    .await;
    for _ in 0..5 {
        assert_eq!(
            server.post_consent(&server.valid_body()).await.status(),
            201
        );
    }
    // A problem from the limiter would name no field; the exempt path still validates bodies.
    let response = server
        .post_consent(&serde_json::json!({"site": "www"}))
        .await;
    assert_problem(response, 422, "revision").await;
    server.stop().await;
}
