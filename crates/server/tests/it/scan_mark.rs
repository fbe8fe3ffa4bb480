//! `Kapsel-Scan`: a consent POST with the server's scan token is answered like any other (201, a
//! receipt with its expiry and a `receipt_secret`) but recorded nowhere; a follow-up naming that
//! unrecorded receipt is answered too. A scan header with a wrong token, or on a server without
//! one, is refused with 403 and nothing is written. Without the header nothing changes. The
//! banner's view reports are marked alike and counted only without the header.

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

/// The banner's view reports from the scanner (marked with the token) are answered and not
/// counted; a wrong token is refused; an unmarked report is counted.
#[tokio::test]
async fn the_scanners_banner_views_are_answered_and_never_counted() {
    use kapsel_store::ConsentCounts as _;
    let server = TestServer::start_with(|config| config.scan_token = Secret::new(TOKEN)).await;
    let url = server.url(&format!(
        "/v1/banner-views?site=www&revision={}&language=nb&event=shown",
        server.revision("www")
    ));
    let report = |token: Option<&'static str>| {
        let mut request = server.client.post(url.clone());
        if let Some(token) = token {
            request = request.header("Kapsel-Scan", token);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(report(Some(TOKEN)).await, 204);
    assert_eq!(report(Some("not-the-token")).await, 403);
    let shown = || async {
        let today =
            kapsel_store::ledger::counts::day_of(kapsel_core::Clock::now_ms(&*server.clock));
        server
            .store
            .view_counts(&kapsel_store::CountFilter {
                site: "www".into(),
                from_day: today,
                to_day: today,
                revision: None,
                language: None,
            })
            .await
            .unwrap()
            .iter()
            .map(|c| c.shown)
            .sum::<i64>()
    };
    assert_eq!(shown().await, 0, "a scan's view was counted");
    assert_eq!(report(None).await, 204);
    assert_eq!(shown().await, 1, "a visitor's view is counted");
    server.stop().await;
}
