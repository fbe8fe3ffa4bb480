//! Hostile input on `POST /v1/consent`: every case answers a 4xx problem naming the field, and
//! none of them leaves a record behind.

use serde_json::{Value, json};

use kapsel_testkit::{TestServer, assert_problem};

async fn post_raw(
    server: &TestServer,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = server.client.post(server.url("/v1/consent")).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request.send().await.unwrap()
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

#[tokio::test]
async fn every_hostile_body_is_a_problem_naming_its_field_and_writes_nothing() {
    let server = TestServer::start().await;
    let valid = server.valid_body();
    let valid_bytes = serde_json::to_vec(&valid).unwrap();

    // Wrong or missing content type: 415 naming Content-Type.
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let response = post_raw(&server, content_type, valid_bytes.clone()).await;
        assert_problem(response, 415, "Content-Type").await;
    }
    // Too large: 413 naming the body.
    let mut huge = valid.clone();
    huge["padding"] = json!("x".repeat(9 * 1024));
    let response = post_raw(
        &server,
        Some("application/json"),
        serde_json::to_vec(&huge).unwrap(),
    )
    .await;
    assert_problem(response, 413, "body").await;
    // Not JSON: 400 naming the body.
    for broken in [
        &b"{\"site\": "[..],
        b"not json",
        b"",
        b"{\"site\":\"www\",}",
    ] {
        let response = post_raw(&server, Some("application/json"), broken.to_vec()).await;
        assert_problem(response, 400, "body").await;
    }
    // JSON but not an object.
    let response = post_raw(&server, Some("application/json"), b"[1,2]".to_vec()).await;
    assert_problem(response, 422, "body").await;

    let cases: Vec<(Value, &str)> = vec![
        (with(valid.clone(), "bogus", json!(1)), "bogus"),
        (with(valid.clone(), "site", json!("no-such-site")), "site"),
        (with(valid.clone(), "site", json!(42)), "site"),
        (with(valid.clone(), "language", json!("de")), "language"),
        (
            with(valid.clone(), "action", json!("accept-everything")),
            "action",
        ),
        (
            with(valid.clone(), "categories", json!({"necessary": false})),
            "categories.necessary",
        ),
        (
            with(
                valid.clone(),
                "categories",
                json!({"no-such-category": true}),
            ),
            "categories.no-such-category",
        ),
        (
            with(valid.clone(), "categories", json!({"analytics": "yes"})),
            "categories.analytics",
        ),
        (
            with(valid.clone(), "categories", json!(["analytics"])),
            "categories",
        ),
        (
            with(valid.clone(), "services", json!({"no-such-service": true})),
            "services.no-such-service",
        ),
        (with(valid.clone(), "gpc", json!("on")), "gpc"),
        (
            with(valid.clone(), "previous_receipt", json!("not-a-receipt")),
            "previous_receipt",
        ),
        (
            with(
                valid.clone(),
                "previous_receipt",
                json!("0123456789ABCDEFGHJKMNPQRS"),
            ),
            "previous_receipt",
        ),
        (with(valid.clone(), "revision", json!("")), "revision"),
    ];
    for (body, field) in cases {
        let response = server.post_consent(&body).await;
        assert_problem(response, 422, field).await;
    }
    // A service the privacy file declares but this site does not use.
    let mut elsewhere = valid.clone();
    elsewhere["site"] = json!("pamelding");
    elsewhere["revision"] = json!(server.revision("pamelding"));
    elsewhere["services"] = json!({"youtube": true});
    assert_problem(
        server.post_consent(&elsewhere).await,
        422,
        "services.youtube",
    )
    .await;
    // Missing required fields are each named.
    let body = assert_problem(server.post_consent(&json!({})).await, 422, "site").await;
    for field in ["revision", "language", "action"] {
        assert!(
            body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{body}"
        );
    }
    // A revision that was never published: 409 naming the revision.
    let stale = with(valid.clone(), "revision", json!("00000000deadbeef"));
    assert_problem(server.post_consent(&stale).await, 409, "revision").await;
    // The revision of another site is not this site's.
    let crossed = with(
        valid.clone(),
        "revision",
        json!(server.revision("pamelding")),
    );
    assert_problem(server.post_consent(&crossed).await, 409, "revision").await;
    // A browser on a foreign origin: 403 naming Origin.
    let response = server
        .client
        .post(server.url("/v1/consent"))
        .header("origin", "https://pamelding.example.no")
        .json(&valid)
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "Origin").await;

    assert_eq!(
        server.ledger_len().await,
        0,
        "a rejected request left a record"
    );
    // And the valid body still goes through.
    assert_eq!(server.post_consent(&valid).await.status(), 201);
    assert_eq!(server.ledger_len().await, 1);
    server.stop().await;
}

#[tokio::test]
async fn unknown_receipts_are_404_and_malformed_ids_422() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/v1/receipts/0123456789ABCDEFGHJKMNPQRS"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let response = server
        .client
        .get(server.url("/v1/receipts/nope"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 422, "id").await;
    server.stop().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems_too() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let response = server
        .client
        .put(server.url("/v1/consent"))
        .json(&server.valid_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "/problems/method-not-allowed");
    server.stop().await;
}
