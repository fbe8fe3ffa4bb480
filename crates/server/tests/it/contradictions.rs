//! A choice that contradicts its action is refused with 422 naming the field, and nothing is
//! written (issue 11, defect 3); the receipt's expiry follows the documented rule, whether
//! anything beyond strictly necessary is granted (a necessary service does not count).

use serde_json::{Value, json};

use kapsel_testkit::{START_MS, TestServer, assert_problem};

/// 2027-01-31 10:00 UTC and 2026-07-31 10:00 UTC: 12 and 6 calendar months after START_MS.
const PLUS_12_MONTHS: i64 = 1_801_389_600_000;
const PLUS_6_MONTHS: i64 = 1_785_492_000_000;

fn body(server: &TestServer, action: &str, categories: Value, services: Value) -> Value {
    json!({
        "site": "www",
        "revision": server.revision("www"),
        "language": "en",
        "action": action,
        "categories": categories,
        "services": services,
    })
}

#[tokio::test]
async fn contradictory_choices_are_refused_by_field_and_nothing_is_written() {
    let server = TestServer::start().await;
    let all = json!({ "functional": true, "analytics": true, "marketing": true });
    let cases = [
        (
            "reject_all granting analytics",
            body(
                &server,
                "reject_all",
                json!({ "analytics": true }),
                json!({}),
            ),
            "categories.analytics",
        ),
        (
            "reject_all granting a service",
            body(
                &server,
                "reject_all",
                json!({}),
                json!({ "google-analytics": true }),
            ),
            "services.google-analytics",
        ),
        (
            "accept_all granting nothing",
            body(&server, "accept_all", json!({}), json!({})),
            "categories.analytics",
        ),
        (
            "accept_all refusing marketing",
            body(
                &server,
                "accept_all",
                json!({ "functional": true, "analytics": true, "marketing": false }),
                json!({}),
            ),
            "categories.marketing",
        ),
        (
            "withdraw granting marketing",
            body(&server, "withdraw", json!({ "marketing": true }), json!({})),
            "categories.marketing",
        ),
        (
            "action gpc without gpc",
            body(&server, "gpc", json!({ "analytics": true }), json!({})),
            "gpc",
        ),
    ];
    for (what, request, field) in cases {
        let problem = assert_problem(server.post_consent(&request).await, 422, field).await;
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{what}: {problem}"
        );
    }
    // GPC with marketing granted, while the example sets consent.gpc_disables_marketing.
    let mut gpc = body(&server, "custom", all.clone(), json!({}));
    gpc["gpc"] = json!(true);
    let problem =
        assert_problem(server.post_consent(&gpc).await, 422, "categories.marketing").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("gpc"),
        "{problem}"
    );
    assert_eq!(
        server.ledger_len().await,
        0,
        "nothing contradictory is written"
    );

    // The coherent forms of the same choices are recorded.
    let coherent = [
        body(&server, "accept_all", all.clone(), json!({})),
        body(
            &server,
            "reject_all",
            json!({ "analytics": false }),
            json!({}),
        ),
        body(
            &server,
            "withdraw",
            json!({ "marketing": false }),
            json!({}),
        ),
    ];
    for request in &coherent {
        assert_eq!(
            server.post_consent(request).await.status(),
            201,
            "{request}"
        );
    }
    let mut under_gpc = body(
        &server,
        "gpc",
        json!({ "functional": true, "analytics": true, "marketing": false }),
        json!({}),
    );
    under_gpc["gpc"] = json!(true);
    assert_eq!(server.post_consent(&under_gpc).await.status(), 201);
    assert_eq!(server.ledger_len().await, 4);
    server.stop().await;
}

#[tokio::test]
async fn expiry_follows_whether_anything_beyond_necessary_is_granted() {
    let server = TestServer::start().await;
    // The banner sends every service; the necessary ones (the consent cookie, the session) on.
    let necessary_only = body(
        &server,
        "custom",
        json!({ "analytics": false, "marketing": false }),
        json!({ "kapsel-consent": true, "session": true, "google-analytics": false }),
    );
    let response = server.post_consent(&necessary_only).await;
    assert_eq!(response.status(), 201);
    let receipt: Value = response.json().await.unwrap();
    assert_eq!(receipt["recorded_at_ms"], START_MS);
    assert_eq!(
        receipt["expires_at_ms"], PLUS_6_MONTHS,
        "granting only what is necessary is a refusal: consent.reject_duration"
    );
    let one_service = body(
        &server,
        "custom",
        json!({ "analytics": false }),
        json!({ "google-analytics": true }),
    );
    let receipt: Value = server
        .post_consent(&one_service)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(receipt["expires_at_ms"], PLUS_12_MONTHS);
    let refusal = body(
        &server,
        "reject_all",
        json!({}),
        json!({ "kapsel-consent": true }),
    );
    let receipt: Value = server.post_consent(&refusal).await.json().await.unwrap();
    assert_eq!(receipt["expires_at_ms"], PLUS_6_MONTHS);
    server.stop().await;
}
