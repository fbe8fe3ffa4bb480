//! Starting a server for a test: the example privacy file, a temporary SQLite database, a
//! listener on 127.0.0.1:0, and helpers that make failures readable.

use std::sync::Arc;

use kapsel_core::privacy::PrivacyFile;
use kapsel_server::{ServerConfig, ServerError};
use kapsel_store::Store;
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/kapsel.toml");

pub fn example_file() -> PrivacyFile {
    let source = std::fs::read_to_string(EXAMPLE).expect("examples/kapsel.toml is readable");
    kapsel_core::privacy::load(&source, "kapsel.toml")
        .unwrap_or_else(|problems| panic!("the example privacy file is invalid:\n{problems}"))
}

pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub privacy: Arc<PrivacyFile>,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), ServerError>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server after `adjust` has changed the default configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("kapsel.db"))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let privacy = Arc::new(example_file());
        let mut config = ServerConfig::new(privacy.clone(), "test-chain");
        adjust(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(kapsel_server::launch(
            config,
            store.clone(),
            listener,
            shutdown.clone(),
        ));
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        TestServer {
            base,
            client,
            store,
            privacy,
            shutdown,
            task,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The current revision of `site`, as the server published it.
    pub fn revision(&self, site: &str) -> String {
        kapsel_core::privacy::revision::site_revision(&self.privacy, site)
            .unwrap()
            .to_string()
    }

    /// A valid consent body for site `www`.
    pub fn valid_body(&self) -> Value {
        json!({
            "site": "www",
            "revision": self.revision("www"),
            "language": "nb",
            "action": "custom",
            "categories": { "necessary": true, "analytics": true, "marketing": false },
            "services": { "google-analytics": true },
        })
    }

    pub async fn post_consent(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/v1/consent"))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// How many records the ledger holds, over every chain, verifying each chain on the way.
    pub async fn ledger_len(&self) -> u64 {
        let verdicts = self.store.verify_all().await.unwrap();
        verdicts
            .into_iter()
            .map(|v| v.expect("every chain verifies").records)
            .sum()
    }

    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }
}

/// Asserts a problem+json response with `status` whose `errors` name `field`; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, field: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status, "{body}");
    assert!(
        body["type"].as_str().unwrap().starts_with("/problems/"),
        "{body}"
    );
    let named = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors array in {body}"))
        .iter()
        .any(|e| e["field"] == field);
    assert!(named, "problem does not name {field:?}: {body}");
    assert!(
        body["detail"].as_str().unwrap().contains(field),
        "detail does not name {field:?}: {body}"
    );
    body
}
