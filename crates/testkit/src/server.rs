//! A real Kapsel server for a test: the example privacy file (or another), a temporary SQLite
//! database, a listener on 127.0.0.1:0, a [`ManualClock`] the test can move, and helpers that
//! make failures readable. Start it, talk HTTP to it, stop it.

use std::sync::Arc;

use kapsel_core::ManualClock;
use kapsel_core::privacy::PrivacyFile;
use kapsel_server::{Listeners, ServerConfig, ServerError};
use kapsel_store::{LedgerVerify, Store};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::example::example_file;

/// 2026-01-31 10:00:00 UTC: the instant every test server starts at (a month end, so that
/// calendar arithmetic is exercised by default).
pub const START_MS: i64 = 1_769_853_600_000;

pub struct TestServer {
    pub base: String,
    /// The ops listener's base URL, when the test asked for one.
    pub ops_base: Option<String>,
    pub client: reqwest::Client,
    pub store: Store,
    pub privacy: Arc<PrivacyFile>,
    /// The server's clock; move it to test expiry and deadlines.
    pub clock: Arc<ManualClock>,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), ServerError>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// The example privacy file, chain `test-chain`, the clock at [`START_MS`].
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server after `adjust` has changed the default configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        TestServer::launch(example_file(), false, adjust).await
    }

    /// Like [`TestServer::start_with`], with an ops listener as well (`ops_base`).
    pub async fn start_with_ops(adjust: impl FnOnce(&mut ServerConfig)) -> TestServer {
        TestServer::launch(example_file(), true, adjust).await
    }

    /// Starts a server for `privacy`, with an ops listener when `with_ops`.
    pub async fn launch(
        privacy: PrivacyFile,
        with_ops: bool,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("kapsel.db"))
            .await
            .unwrap();
        TestServer::launch_on(store, dir, "test-chain", privacy, with_ops, adjust).await
    }

    /// Starts a server on `store` (migrated here) as writer of chain `chain_id`: several
    /// servers on one PostgreSQL store are several instances. `dir` is kept for the server's
    /// lifetime.
    pub async fn launch_on(
        store: Store,
        dir: tempfile::TempDir,
        chain_id: &str,
        privacy: PrivacyFile,
        with_ops: bool,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> TestServer {
        store.migrate().await.unwrap();
        let privacy = Arc::new(privacy);
        let clock = Arc::new(ManualClock::at(START_MS));
        let mut config = ServerConfig::new(privacy.clone(), chain_id);
        config.clock = clock.clone();
        adjust(&mut config);
        let public = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", public.local_addr().unwrap());
        let ops = if with_ops {
            Some(TcpListener::bind("127.0.0.1:0").await.unwrap())
        } else {
            None
        };
        let ops_base = ops
            .as_ref()
            .map(|l| format!("http://{}", l.local_addr().unwrap()));
        let shutdown = CancellationToken::new();
        let mut task = tokio::spawn(kapsel_server::launch(
            config,
            store.clone(),
            Listeners { public, ops },
            shutdown.clone(),
        ));
        let client = reqwest::Client::new();
        wait_healthy(&client, &base, &mut task).await;
        TestServer {
            base,
            ops_base,
            client,
            store,
            privacy,
            clock,
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

/// Polls `/healthz` until it answers (at most 200 tries); a server that failed to start is
/// reported with its error.
async fn wait_healthy(
    client: &reqwest::Client,
    base: &str,
    task: &mut JoinHandle<Result<(), ServerError>>,
) {
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            return;
        }
        if task.is_finished() {
            let ended = task.await;
            panic!("the test server stopped while starting: {ended:?}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the test server at {base} never answered /healthz");
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
