//! The server runs on the clock it is given: records are stamped with it and expire by calendar
//! months from it, as the privacy file says (the example: accept 12 months, reject 6 months).

use kapsel_store::LedgerRead;
use kapsel_testkit::{START_MS, TestServer};
use serde_json::{Value, json};

/// 2027-01-31 10:00 UTC: 12 calendar months after [`START_MS`] (2026-01-31 10:00 UTC).
const START_PLUS_12_MONTHS: i64 = 1_801_389_600_000;
/// 2026-07-31 10:00 UTC: 6 months after [`START_MS`].
const START_PLUS_6_MONTHS: i64 = 1_785_492_000_000;
/// 2026-08-31 10:00 UTC, and 6 months later, clamped to February's last day.
const AUGUST_31: i64 = 1_788_170_400_000;
const FEBRUARY_28_NEXT: i64 = 1_803_808_800_000;

async fn record(server: &TestServer, action: &str, analytics: bool) -> Value {
    let body = json!({
        "site": "www",
        "revision": server.revision("www"),
        "language": "en",
        "action": action,
        "categories": { "necessary": true, "analytics": analytics, "marketing": false },
    });
    let response = server.post_consent(&body).await;
    assert_eq!(response.status(), 201, "{action}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_choice_made_on_31_january_expires_when_the_privacy_file_says() {
    let server = TestServer::start().await;

    let accepted = record(&server, "custom", true).await;
    assert_eq!(accepted["recorded_at_ms"], START_MS);
    assert_eq!(accepted["expires_at_ms"], START_PLUS_12_MONTHS);

    let rejected = record(&server, "reject_all", false).await;
    assert_eq!(rejected["recorded_at_ms"], START_MS);
    assert_eq!(rejected["expires_at_ms"], START_PLUS_6_MONTHS);

    // Moving the clock moves the stamp; a month too short for the day clamps to its end.
    server.clock.set(AUGUST_31);
    let late_summer = record(&server, "reject_all", false).await;
    assert_eq!(late_summer["recorded_at_ms"], AUGUST_31);
    assert_eq!(late_summer["expires_at_ms"], FEBRUARY_28_NEXT);

    // The ledger holds exactly what the receipts say.
    let id = late_summer["id"].as_str().unwrap();
    let stored = server.store.get_record(id).await.unwrap().unwrap();
    assert_eq!(
        (stored.recorded_at_ms, stored.expires_at_ms),
        (AUGUST_31, FEBRUARY_28_NEXT)
    );
    server.stop().await;
}

#[tokio::test]
async fn the_demo_site_is_mounted_only_when_asked() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/demo/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404, "no /demo/ without demo");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    server.stop().await;

    let server = TestServer::start_with(|config| config.demo = true).await;
    let response = server
        .client
        .get(server.url("/demo/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "/demo/ with demo");
    assert!(response.text().await.unwrap().contains("/s/"));
    server.stop().await;
}
