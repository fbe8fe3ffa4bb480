//! `Kapsel-Scan`: a consent POST with the server's scan token is answered like any other (201, a
//! receipt with its expiry and a `receipt_secret`) but recorded nowhere; a follow-up naming that
//! unrecorded receipt is answered too. A scan header with a wrong token, or on a server without
//! one, is refused with 403 and nothing is written. Without the header nothing changes.

use kapsel_core::Secret;
use kapsel_testkit::TestServer;
use serde_json::{Value, json};

const TOKEN: &str = "fictional-scan-token-7";

async fn post_marked(server: &TestServer, body: &Value, token: &str) -> reqwest::Response {
    server
        .client
        .post(server.url("/v1/consent"))
        .header("Kapsel-Scan", token)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_scanners_choices_are_answered_and_never_recorded() {
    let server = TestServer::start_with(|config| config.scan_token = Secret::new(TOKEN)).await;
    let response = post_marked(&server, &server.valid_body(), TOKEN).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["kapsel-scan"], "not-recorded");
    let receipt: Value = response.json().await.unwrap();
    assert_eq!(receipt["revision"], server.revision("www"));
    assert!(
        receipt["expires_at_ms"].as_i64().unwrap() > receipt["recorded_at_ms"].as_i64().unwrap()
    );
    assert!(
        receipt["receipt_secret"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    let withdrawal = json!({
        "site": "www",
        "revision": server.revision("www"),
        "language": "en",
        "action": "withdraw",
        "categories": { "analytics": false, "marketing": false },
        "previous_receipt": receipt["id"],
        "receipt_secret": receipt["receipt_secret"],
    });
    assert_eq!(post_marked(&server, &withdrawal, TOKEN).await.status(), 201);
    assert_eq!(
        server.ledger_len().await,
        0,
        "a scan reached the visitor ledger"
    );

    // A visitor's choice on the same server is recorded as always.
    assert_eq!(
        server.post_consent(&server.valid_body()).await.status(),
        201
    );
    assert_eq!(server.ledger_len().await, 1);
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_or_unexpected_scan_token_is_refused_and_writes_nothing() {
    let server = TestServer::start_with(|config| config.scan_token = Secret::new(TOKEN)).await;
    let wrong = post_marked(&server, &server.valid_body(), "guess").await;
    assert_eq!(wrong.status(), 403);
    let problem: Value = wrong.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "Kapsel-Scan", "{problem}");
    assert_eq!(server.ledger_len().await, 0);
    server.stop().await;

    let without = TestServer::start().await;
    assert_eq!(
        post_marked(&without, &without.valid_body(), TOKEN)
            .await
            .status(),
        403
    );
    assert_eq!(without.ledger_len().await, 0);
    without.stop().await;
}
