//! Durability under `kill -9`: concurrent writers against the real binary, SIGKILL mid-stream,
//! restart on the same data, and then every receipt any client received is in the ledger and
//! `kapsel ledger verify` passes. On SQLite always; on PostgreSQL when configured.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kapsel_store::{LedgerRead, LedgerVerify};
use serde_json::{Value, json};

use super::harness::{Backend, EXAMPLE, Server, kapsel};

const WRITERS: usize = 16;
const WRITE_FOR: Duration = Duration::from_millis(1500);

fn body(revision: &str, n: usize) -> Value {
    let accept = n.is_multiple_of(2);
    let language = ["nb", "nn", "en"].get(n % 3).copied().unwrap_or("nb");
    json!({
        "site": "www",
        "revision": revision,
        "language": language,
        "action": if accept { "accept_all" } else { "reject_all" },
        "categories": { "analytics": accept, "marketing": accept, "functional": accept },
    })
}

fn current_revision() -> String {
    let file = kapsel_testkit::example_file();
    kapsel_core::privacy::revision::site_revision(&file, "www")
        .unwrap()
        .to_string()
}

/// Writers post until the server dies; returns every receipt id a client got a 201 for.
async fn write_until_killed(server: Server) -> Vec<String> {
    let receipts = Arc::new(Mutex::new(Vec::new()));
    let revision = current_revision();
    let url = server.url("/v1/consent");
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (receipts, revision, url) = (receipts.clone(), revision.clone(), url.clone());
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap();
            for n in 0.. {
                let Ok(response) = client
                    .post(&url)
                    .json(&body(&revision, writer + n))
                    .send()
                    .await
                else {
                    break;
                };
                if response.status() != 201 {
                    panic!("unexpected status {} before the kill", response.status());
                }
                let Ok(receipt) = response.json::<Value>().await else {
                    break;
                };
                receipts
                    .lock()
                    .unwrap()
                    .push(receipt["id"].as_str().unwrap().to_owned());
            }
        }));
    }
    tokio::time::sleep(WRITE_FOR).await;
    server.kill_9();
    for writer in writers {
        writer.await.unwrap();
    }
    receipts.lock().unwrap().clone()
}

async fn crash_and_recover(backend: Backend) {
    let mut flags = backend.flags();
    flags.extend(["--chain-id".to_owned(), "crash-test".to_owned()]);

    let first = Server::start(EXAMPLE, &flags);
    first.wait_healthy().await;
    let mut receipts = write_until_killed(first).await;
    assert!(
        receipts.len() > 50,
        "only {} receipts before the kill",
        receipts.len()
    );

    // Restart on the same data: the writer resumes the chain after the killed one's last commit.
    let second = Server::start(EXAMPLE, &flags);
    second.wait_healthy().await;
    let client = reqwest::Client::new();
    for n in 0..20 {
        let response = client
            .post(second.url("/v1/consent"))
            .json(&body(&current_revision(), n))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            201,
            "after restart: {}",
            response.text().await.unwrap()
        );
        let receipt: Value = response.json().await.unwrap();
        receipts.push(receipt["id"].as_str().unwrap().to_owned());
    }
    let status = second.terminate();
    assert!(
        status.success(),
        "graceful stop after SIGTERM exited with {status}"
    );

    let store = backend.open().await;
    for id in &receipts {
        assert!(
            store.get_record(id).await.unwrap().is_some(),
            "receipt {id} was handed to a client but is not in the ledger"
        );
    }
    let verdicts = store.verify_all().await.unwrap();
    let total: u64 = verdicts
        .iter()
        .map(|v| v.as_ref().expect("chain verifies").records)
        .sum();
    assert!(
        total >= receipts.len() as u64,
        "{total} records for {} receipts",
        receipts.len()
    );
    store.close().await;

    let mut verify = vec!["ledger".to_owned(), "verify".to_owned()];
    verify.extend(backend.flags());
    let output = kapsel(&verify);
    assert!(
        output.status.success(),
        "kapsel ledger verify failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "crash test: {} receipts, {total} records, all durable and verified",
        receipts.len()
    );
    backend.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_receipt_on_sqlite() {
    crash_and_recover(Backend::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_receipt_on_postgres() {
    if let Some(backend) = Backend::postgres("kill -9 crash test").await {
        crash_and_recover(backend).await;
    }
}
