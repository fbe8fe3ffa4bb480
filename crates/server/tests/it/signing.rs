//! Signed receipts and checkpoints on a real server: a receipt's signature verifies with the
//! key published at `/.well-known/kapsel/keys`, so does the one `GET /v1/receipts/{id}`
//! answers with, and the chain's head is published as a signed C2SP checkpoint.

use std::time::Duration;

use kapsel_core::Clock;
use kapsel_core::signing::PublicKey;
use kapsel_core::signing::note::open_checkpoint;
use kapsel_core::signing::receipt::ReceiptSignature;
use kapsel_store::LedgerRead;
use kapsel_testkit::TestServer;
use serde_json::Value;

async fn published_keys(server: &TestServer) -> Vec<PublicKey> {
    let keys: Value = server
        .client
        .get(server.url("/.well-known/kapsel/keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            assert_eq!(k["algorithm"], "Ed25519");
            let key = PublicKey::from_verifier_key(k["verifier_key"].as_str().unwrap()).unwrap();
            assert_eq!(key.base64(), k["public_key"].as_str().unwrap());
            assert_eq!(key.id_hex(), k["key_id"].as_str().unwrap());
            key
        })
        .collect()
}

#[tokio::test]
async fn receipts_carry_a_signature_that_verifies_with_the_published_key() {
    let server = TestServer::start().await;
    let mut receipts = Vec::new();
    for _ in 0..3 {
        let response = server.post_consent(&server.valid_body()).await;
        assert_eq!(response.status(), 201);
        receipts.push(response.json::<Value>().await.unwrap());
    }
    let keys = published_keys(&server).await;
    assert_eq!(keys.len(), 1);
    for receipt in &receipts {
        let signature: ReceiptSignature =
            serde_json::from_value(receipt["signature"].clone()).unwrap();
        signature.verify(&keys).unwrap();
        let record = server
            .store
            .get_record(receipt["id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap();
        signature.matches(&record).unwrap();
        // A forged choice does not verify.
        let mut forged = signature.clone();
        forged.signed = forged
            .signed
            .replace("9:marketing=false", "9:marketing=true");
        assert!(forged.verify(&keys).is_err());
    }
    let id = receipts[0]["id"].as_str().unwrap();
    let state: Value = server
        .client
        .get(server.url(&format!("/v1/receipts/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let signature: ReceiptSignature = serde_json::from_value(state["signature"].clone()).unwrap();
    signature.verify(&keys).unwrap();
    assert!(signature.signed.contains(id), "{}", signature.signed);
    server.stop().await;
}

#[tokio::test]
async fn the_head_is_published_as_a_signed_checkpoint_when_it_moves() {
    let server = TestServer::start_with(|config| {
        config.checkpoint_interval = Duration::from_millis(20);
    })
    .await;
    let url = server.url("/v1/checkpoints/test-chain");
    assert_eq!(server.client.get(&url).send().await.unwrap().status(), 404);
    let response = server.post_consent(&server.valid_body()).await;
    let receipt: Value = response.json().await.unwrap();
    let keys = published_keys(&server).await;
    let mut note = String::new();
    for _ in 0..200 {
        let response = server.client.get(&url).send().await.unwrap();
        if response.status() == 200 {
            assert_eq!(
                response.headers()["content-type"],
                "text/plain; charset=utf-8"
            );
            note = response.text().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (checkpoint, _) = open_checkpoint(&note, &keys).unwrap();
    assert_eq!(checkpoint.size, 1);
    assert_eq!(checkpoint.head_hex(), receipt["hash"].as_str().unwrap());
    assert_eq!(checkpoint.time_ms, server.clock.now_ms());
    assert!(checkpoint.origin.ends_with("/ledger/test-chain"), "{note}");
    let list: Value = server
        .client
        .get(server.url("/v1/checkpoints/test-chain/history"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["checkpoints"][0]["note"], note.as_str());
    server.stop().await;
}
