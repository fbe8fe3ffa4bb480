//! The other rights and the admin API's edges, on `desk_work`'s shop and helpers: a
//! restriction on the suppression list, a rectification previewed and applied to one declared
//! field, a webhook dataset called with a valid signature, injection payloads as identifiers,
//! and bad input refused with a problem and nothing written.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use kapsel_store::{CaseStore, Suppressions};
use kapsel_testkit::assert_problem;
use serde_json::{Value, json};

use super::desk_work::{
    KEY, TOKEN, admin, admin_ok, client, server, shop, steps, verified_request,
};

#[tokio::test]
async fn a_restriction_puts_the_requester_on_the_suppression_list_once() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    let id = verified_request(
        &server,
        "nb",
        "right=restriction&email=Kari.Nordmann%40example.org&customer-no=K-1001&activity=newsletter",
    )
    .await;
    admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    let listed = server.store.suppressions_of_case(&id).await.unwrap();
    assert_eq!(listed.len(), 2, "the address and the customer number");
    // Found from the identifier as another part of Kapsel would see it (lower-cased address).
    let hash = kapsel_connect::keyed_hash(KEY.as_bytes(), "email:kari.nordmann@example.org");
    assert_eq!(
        server
            .store
            .suppressed(std::slice::from_ref(&hash), "newsletter")
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        server
            .store
            .suppressed(&[hash], "accounting")
            .await
            .unwrap()
            .is_empty()
    );
    let shown = admin_ok(&server, "GET", &id, Value::Null).await;
    assert_eq!(steps(&shown, "suppressed").len(), 1);
    // The paper archive has no API: a person marks the folder restricted and says so.
    admin_ok(
        &server,
        "POST",
        &format!("{id}/tasks/archive"),
        json!({ "note": "Folder K-1001 marked: no newsletter." }),
    )
    .await;
    admin_ok(&server, "POST", &format!("{id}/complete"), json!({})).await;
    server.stop().await;
}

#[tokio::test]
async fn a_webhook_dataset_is_called_once_with_a_valid_signature() {
    let received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/erase",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/erase", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let shop = shop().await;
    let server = server(&shop, Some(&url)).await;
    let id = verified_request(
        &server,
        "nb",
        "right=erasure&email=kari.nordmann%40example.org&customer-no=K-1001",
    )
    .await;
    admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    let calls = received.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "answered 2xx once, not called again");
    let (headers, body) = &calls[0];
    let timestamp: i64 = headers["x-kapsel-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        headers["x-kapsel-signature"].to_str().unwrap(),
        kapsel_server::desk::work::webhook::signature(b"webhook-secret-for-tests", timestamp, body)
    );
    let sent: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(sent["action"], "erasure");
    assert_eq!(
        sent["identifiers"],
        json!({ "email": "kari.nordmann@example.org", "customer-no": "K-1001" })
    );
    let shown = admin_ok(&server, "GET", &id, Value::Null).await;
    assert_eq!(
        steps(&shown, "webhook_answered")[0]["result"]["status"],
        200
    );
    server.stop().await;
}

#[tokio::test]
async fn the_admin_api_refuses_bad_input_with_a_problem_and_writes_nothing() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    let id = verified_request(
        &server,
        "nb",
        "right=erasure&email=kari.nordmann%40example.org",
    )
    .await;
    let head = || async { server.store.case(&id).await.unwrap().head_seq };
    let start = head().await;

    let anonymous = client()
        .get(server.url("/v1/admin/cases"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "Authorization").await;
    let wrong = client()
        .post(server.url(&format!("/v1/admin/cases/{id}/run")))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_problem(wrong, 401, "Authorization").await;

    let unknown = admin(&server, "POST", "01JUNKNOWNCASEID0000000000/run", json!({})).await;
    assert_eq!(unknown.status(), 404);
    let bad_field = admin(
        &server,
        "POST",
        &format!("{id}/extend"),
        json!({ "months": 2, "reason": "x", "why": 1 }),
    )
    .await;
    assert_problem(bad_field, 422, "why").await;
    let bad_type = admin(
        &server,
        "POST",
        &format!("{id}/extend"),
        json!({ "months": "two", "reason": "x" }),
    )
    .await;
    assert_problem(bad_type, 422, "body").await;
    let raw = client()
        .post(server.url(&format!("/v1/admin/cases/{id}/note")))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(r#"{"text":"a","text":"b"}"#)
        .send()
        .await
        .unwrap();
    assert_problem(raw, 400, "text").await;
    let ground = admin(
        &server,
        "POST",
        &format!("{id}/refuse"),
        json!({ "reason": "r", "ground": "because" }),
    )
    .await;
    assert_problem(ground, 422, "ground").await;
    // An erasure refusal needs its art. 17(3) ground.
    let groundless = admin(
        &server,
        "POST",
        &format!("{id}/refuse"),
        json!({ "reason": "r" }),
    )
    .await;
    assert_problem(groundless, 409, "case").await;
    let blank = admin(
        &server,
        "POST",
        &format!("{id}/tasks/archive"),
        json!({ "note": " " }),
    )
    .await;
    assert_problem(blank, 422, "note").await;
    let injected = admin(
        &server,
        "POST",
        &format!("{id}/tasks/archive'; DROP TABLE x"),
        json!({ "note": "x" }),
    )
    .await;
    assert_eq!(injected.status(), 404);
    assert_eq!(head().await, start, "nothing was written");

    // An extension after the first month is refused; within it, it is allowed and mailed.
    server.clock.advance(40 * 24 * 60 * 60 * 1000);
    let late = admin(
        &server,
        "POST",
        &format!("{id}/extend"),
        json!({ "months": 2, "reason": "many systems" }),
    )
    .await;
    assert_problem(late, 409, "case").await;
    assert_eq!(head().await, start);
    server.stop().await;
}

#[tokio::test]
async fn injection_payloads_as_identifiers_find_and_change_nothing() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    let before = shop.rows().await;
    for payload in [
        "' OR '1'='1",
        "K-1001' OR 1=1 --",
        "1; DROP TABLE customers",
        "\" OR \"\"=\"",
    ] {
        let form = format!(
            "right=erasure&email=someone%40example.org&customer-no={}",
            urlencode(payload)
        );
        let id = verified_request(&server, "en", &form).await;
        let report = admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
        let erased = report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["action"] == "erased")
            .unwrap()
            .clone();
        let tables = erased["result"]["tables"].as_array().unwrap();
        assert!(
            tables.iter().all(|t| t["rows_found"] == 0),
            "{payload}: {erased}"
        );
        assert_eq!(shop.rows().await, before, "{payload} changed the shop");
    }
    server.stop().await;
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_rectification_is_previewed_then_applied_to_the_declared_field_only() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    let id = verified_request(
        &server,
        "nb",
        "right=rectification&email=kari.nordmann%40example.org&customer-no=K-1001\
         &wrong=Navnet+mitt+er+feilstavet&correct=Kari+Nordmann-Berg",
    )
    .await;
    let correction = json!({
        "dataset": "shop", "table": "customers", "column": "name", "value": "Kari Nordmann-Berg",
    });
    let before = shop.rows().await;
    let preview = admin_ok(
        &server,
        "POST",
        &format!("{id}/rectify"),
        correction.clone(),
    )
    .await;
    assert_eq!(preview["preview"]["rows_found"], 1);
    assert_eq!(preview["preview"]["rows_changed"], 1);
    assert_eq!(shop.rows().await, before, "the preview changes nothing");

    // Applying needs the case in progress.
    let mut apply = correction.clone();
    apply["apply"] = json!(true);
    let early = admin(&server, "POST", &format!("{id}/rectify"), apply.clone()).await;
    assert_problem(early, 409, "state").await;
    admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    let applied = admin_ok(&server, "POST", &format!("{id}/rectify"), apply.clone()).await;
    assert_eq!(applied["applied"]["rows_changed"], 1);
    let after = shop.rows().await;
    assert_eq!(
        after["customers"][0],
        (
            1,
            "K-1001|kari.nordmann@example.org|Kari Nordmann-Berg".to_owned()
        )
    );
    assert_eq!(
        after["customers"][1], before["customers"][1],
        "Ola untouched"
    );
    assert_eq!(after["bookings"], before["bookings"]);

    // Only declared fields: not the key, not an undeclared column, not another dataset.
    for (field, value) in [
        ("column", json!("id")),
        ("column", json!("customer_id")),
        ("dataset", json!("archive")),
    ] {
        let mut bad = apply.clone();
        bad[field] = value;
        let refused = admin(&server, "POST", &format!("{id}/rectify"), bad).await;
        assert_eq!(refused.status(), 422, "{field}");
    }
    assert_eq!(shop.rows().await, after);

    // The history records what was changed, never the value.
    let shown = admin_ok(&server, "GET", &id, Value::Null).await;
    let rectified = steps(&shown, "rectified");
    assert_eq!(rectified.len(), 1);
    assert_eq!(rectified[0]["result"]["column"], "name");
    assert!(
        !shown["history"].to_string().contains("Nordmann-Berg"),
        "{shown}"
    );
    admin_ok(
        &server,
        "POST",
        &format!("{id}/tasks/archive"),
        json!({ "note": "Checked." }),
    )
    .await;
    admin_ok(&server, "POST", &format!("{id}/complete"), json!({})).await;
    server.stop().await;
}

#[tokio::test]
async fn metrics_show_open_cases_and_days_to_the_next_deadline() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    verified_request(
        &server,
        "nb",
        "right=access&email=kari.nordmann%40example.org",
    )
    .await;
    // The sweep (every 100 ms here) sets the gauges; the recorder is shared by every server in
    // this test binary, so only their presence is asserted, not other tests' values.
    let mut text = String::new();
    for _ in 0..50 {
        text = client()
            .get(server.url("/metrics"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains("kapsel_desk_days_to_next_deadline") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for gauge in [
        "kapsel_desk_open_cases",
        "kapsel_desk_overdue_cases",
        "kapsel_desk_days_to_next_deadline",
    ] {
        assert!(text.contains(gauge), "{gauge} missing:\n{text}");
    }
    server.stop().await;
}
