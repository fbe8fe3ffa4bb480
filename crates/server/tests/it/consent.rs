//! Recording choices and reading receipts back: the round trip through the real ledger.

use serde_json::{Value, json};

use kapsel_store::{LedgerRead, RevisionStore};
use kapsel_testkit::TestServer;

#[tokio::test]
async fn a_choice_is_recorded_minimised_and_its_receipt_follows_withdrawal() {
    let server = TestServer::start().await;
    let before_ms = kapsel_testkit::START_MS;
    let response = server
        .client
        .post(server.url("/v1/consent"))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        )
        .json(&server.valid_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let receipt: Value = response.json().await.unwrap();
    let id = receipt["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/v1/receipts/{id}"));
    assert_eq!(receipt["revision"], server.revision("www"));
    assert_eq!(receipt["hash"].as_str().unwrap().len(), 64);
    let recorded = receipt["recorded_at_ms"].as_i64().unwrap();
    assert!(recorded >= before_ms, "the server stamps the time");
    // 12 months for a choice that grants something.
    let days = (receipt["expires_at_ms"].as_i64().unwrap() - recorded) / 86_400_000;
    assert!((365..=366).contains(&days), "{days} days");

    // What is on disk: truncated address, UA family only, necessary forced on.
    let record = server.store.get_record(&id).await.unwrap().unwrap();
    assert_eq!(record.context.ip_prefix.as_deref(), Some("127.0.0.0/24"));
    assert_eq!(record.context.ua_family, "Firefox");
    assert_eq!(record.choice.categories.get("necessary"), Some(&true));
    assert_eq!(record.hash, receipt["hash"]);

    let state: Value = server
        .client
        .get(server.url(&location))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["current_id"], id);
    assert_eq!(state["action"], "custom");
    assert_eq!(state["categories"]["analytics"], true);

    // A withdrawal is a new record naming the earlier receipt; the old receipt now reads as it.
    let withdrawal = json!({
        "site": "www",
        "revision": server.revision("www"),
        "language": "en",
        "action": "withdraw",
        "categories": { "analytics": false, "marketing": false },
        "previous_receipt": id,
        "receipt_secret": receipt["receipt_secret"],
    });
    let response = server.post_consent(&withdrawal).await;
    assert_eq!(response.status(), 201);
    let second: Value = response.json().await.unwrap();
    let days = (second["expires_at_ms"].as_i64().unwrap()
        - second["recorded_at_ms"].as_i64().unwrap())
        / 86_400_000;
    assert!(
        (181..=184).contains(&days),
        "a refusal lasts 6 months, got {days} days"
    );
    let state: Value = server
        .client
        .get(server.url(&location))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["id"], id);
    assert_eq!(state["current_id"], second["id"]);
    assert_eq!(state["action"], "withdraw");
    assert_eq!(state["categories"]["analytics"], false);
    // The first record is unchanged.
    assert_eq!(server.store.get_record(&id).await.unwrap().unwrap(), record);
    assert_eq!(server.ledger_len().await, 2);
    server.stop().await;
}

#[tokio::test]
async fn concurrent_writers_each_get_a_durable_receipt_in_one_verified_chain() {
    let server = TestServer::start().await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let client = server.client.clone();
        let url = server.url("/v1/consent");
        let body = server.valid_body();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for _ in 0..5 {
                let response = client.post(&url).json(&body).send().await.unwrap();
                assert_eq!(response.status(), 201);
                let receipt: Value = response.json().await.unwrap();
                ids.push(receipt["id"].as_str().unwrap().to_owned());
            }
            ids
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    assert_eq!(server.ledger_len().await, 200);
    for id in &all {
        assert!(
            server.store.get_record(id).await.unwrap().is_some(),
            "receipt {id} not in the ledger"
        );
    }
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 200, "receipt ids are unique");
    server.stop().await;
}

#[tokio::test]
async fn an_earlier_published_revision_is_still_accepted_after_a_restart_with_a_new_one() {
    // A store that knows an earlier revision of `www`, as a previous version of the file left it.
    let dir = tempfile::tempdir().unwrap();
    let store = kapsel_store::Store::open_sqlite(&dir.path().join("k.db"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
        .publish_revision("www", "0123456789abcdef", 1, "{}")
        .await
        .unwrap();
    let privacy = std::sync::Arc::new(kapsel_testkit::example_file());
    let config = kapsel_server::ServerConfig::new(privacy, "older");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(kapsel_server::launch(
        config,
        store.clone(),
        listener,
        shutdown.clone(),
    ));
    let client = reqwest::Client::new();
    let mut body = json!({
        "site": "www", "revision": "0123456789abcdef", "language": "nn", "action": "reject_all",
    });
    let mut status = 0;
    for _ in 0..100 {
        match client
            .post(format!("{base}/v1/consent"))
            .json(&body)
            .send()
            .await
        {
            Ok(response) => {
                status = response.status().as_u16();
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
    assert_eq!(status, 201);
    body["revision"] = json!("fedcba9876543210");
    let response = client
        .post(format!("{base}/v1/consent"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    shutdown.cancel();
    task.await.unwrap().unwrap();
}
