//! Extending a receipt's lineage takes proof (issue 11, defect 4): the 201 carries a
//! `receipt_secret` for that receipt only; a later choice naming it as `previous_receipt` must
//! be of the same site and present that secret, or it is refused and nothing is written.

use serde_json::{Value, json};

use kapsel_store::LedgerRead;
use kapsel_testkit::{TestServer, assert_problem};

fn choice(server: &TestServer, site: &str, analytics: bool) -> Value {
    json!({
        "site": site,
        "revision": server.revision(site),
        "language": "nb",
        "action": "custom",
        "categories": { "analytics": analytics },
    })
}

async fn record(server: &TestServer, body: &Value) -> Value {
    let response = server.post_consent(body).await;
    assert_eq!(response.status(), 201, "{body}");
    response.json().await.unwrap()
}

async fn current_id(server: &TestServer, id: &str) -> String {
    let state: Value = server
        .client
        .get(server.url(&format!("/v1/receipts/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    state["current_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_lineage_is_extended_only_on_its_site_and_with_its_secret() {
    let server = TestServer::start().await;
    let first = record(&server, &choice(&server, "www", true)).await;
    let id = first["id"].as_str().unwrap();
    let secret = first["receipt_secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32);
    assert!(secret.bytes().all(|b| b.is_ascii_hexdigit()));
    let stored = server.store.previous_receipt(id).await.unwrap().unwrap();
    assert_ne!(
        stored.secret_hash.as_deref(),
        Some(secret),
        "only a hash of the secret is kept"
    );

    let mut next = choice(&server, "www", false);
    next["previous_receipt"] = json!(id);
    // Knowing the id is not enough.
    assert_problem(server.post_consent(&next).await, 422, "receipt_secret").await;
    next["receipt_secret"] = json!("0123456789abcdef0123456789abcdef");
    assert_problem(server.post_consent(&next).await, 403, "receipt_secret").await;
    next["receipt_secret"] = json!("not hex");
    assert_problem(server.post_consent(&next).await, 422, "receipt_secret").await;
    // The right secret, from another site.
    let mut foreign = choice(&server, "demo", false);
    foreign["previous_receipt"] = json!(id);
    foreign["receipt_secret"] = json!(secret);
    assert_problem(server.post_consent(&foreign).await, 422, "previous_receipt").await;
    // A secret without a previous receipt proves nothing.
    let mut stray = choice(&server, "www", false);
    stray["receipt_secret"] = json!(secret);
    assert_problem(server.post_consent(&stray).await, 422, "receipt_secret").await;
    assert_eq!(server.ledger_len().await, 1, "no refused choice is written");
    assert_eq!(current_id(&server, id).await, id);

    // The holder of the secret replaces the receipt; the new one has a secret of its own.
    next["receipt_secret"] = json!(secret);
    let second = record(&server, &next).await;
    let second_id = second["id"].as_str().unwrap();
    assert_ne!(second["receipt_secret"], first["receipt_secret"]);
    assert_eq!(current_id(&server, id).await, second_id);
    let mut third = choice(&server, "www", true);
    third["previous_receipt"] = json!(second_id);
    third["receipt_secret"] = first["receipt_secret"].clone();
    assert_problem(server.post_consent(&third).await, 403, "receipt_secret").await;
    third["receipt_secret"] = second["receipt_secret"].clone();
    let third = record(&server, &third).await;
    assert_eq!(current_id(&server, id).await, third["id"].as_str().unwrap());
    assert_eq!(
        current_id(&server, second_id).await,
        third["id"].as_str().unwrap()
    );
    server.stop().await;
}
