//! A restart no longer erases a cut tail (issue 11, defect 1), on the real binary: records cut
//! from a chain's end (or its head row deleted) while the server is stopped stay BROKEN after
//! `kapsel serve` starts again and a visitor writes. The server serves on, but its writer
//! refuses: 503 `/problems/ledger-refused`, `/readyz` says refused, the gauge
//! `kapsel_ledger_head_mismatch` is 1, one ERROR line names chain, seqs and hashes, and no
//! sequence number is handed out again.

use serde_json::Value;

use super::harness::{Backend, EXAMPLE, Server};
use super::ledger_support::{choice, post, raw, record, verify};

const TOKEN: &str = "fictional-restart-token";

fn flags(backend: &Backend) -> Vec<String> {
    let mut flags = backend.flags();
    flags.extend(["--chain-id".to_owned(), "restart".to_owned()]);
    flags
}

fn start(backend: &Backend) -> Server {
    Server::start_with_env(EXAMPLE, &flags(backend), &[("KAPSEL_ADMIN__TOKEN", TOKEN)])
}

async fn get(server: &Server, path: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(server.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Records 6, stops, applies `tamper`, restarts: every write is refused and verify stays BROKEN.
async fn restart_after(backend: Backend, tamper: &str, named: &[&str]) {
    let server = start(&backend);
    server.wait_healthy().await;
    record(&server, 6).await;
    assert!(server.terminate().success());
    raw(&backend, tamper).await;
    let (code, before) = verify(&backend);
    assert_eq!(code, 1, "{before}");
    let left = records(&backend).await;

    let server = start(&backend);
    server.wait_healthy().await;
    let (status, problem, _) = post(&server, &choice(1)).await;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(problem["type"], "/problems/ledger-refused", "{problem}");
    let (ready, why) = get(&server, "/readyz").await;
    assert_eq!(ready, 503, "{why}");
    let why: Value = serde_json::from_str(&why).unwrap();
    assert_eq!(why["ledger"]["state"], "refused", "{why}");
    let (_, metrics) = get(&server, "/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("kapsel_ledger_head_mismatch{chain=\"restart\"} 1")),
        "{metrics}"
    );
    // Scripts and liveness still answer: the sites keep their banner.
    assert_eq!(get(&server, "/s/www.js").await.0, 200);
    assert_eq!(get(&server, "/healthz").await.0, 200);
    let stderr = server.stderr();
    assert!(server.terminate().success());
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("chain restart"))
        .collect();
    assert_eq!(errors.len(), 1, "one ERROR line names the chain: {stderr}");
    for name in named {
        assert!(errors[0].contains(name), "{name} not in {}", errors[0]);
    }

    let (code, after) = verify(&backend);
    assert_eq!(code, 1, "still BROKEN after a restart and a write: {after}");
    assert!(after.contains("BROKEN: chain restart"), "{after}");
    assert_eq!(
        records(&backend).await,
        left,
        "no record was added, no seq reused"
    );
    backend.finish().await;
}

/// `(seq, id)` of every record of the chain.
async fn records(backend: &Backend) -> Vec<(i64, String)> {
    use kapsel_store::LedgerVerify;
    let store = backend.open().await;
    let page = store.chain_page("restart", 0, 100).await.unwrap();
    store.close().await;
    page.into_iter().map(|r| (r.seq, r.id)).collect()
}

async fn cut_tail(backend: Backend) {
    restart_after(
        backend,
        "DELETE FROM consent_records WHERE chain_id = 'restart' AND seq > 4",
        &["recorded head seq 6", "records end at seq 4"],
    )
    .await;
}

async fn deleted_head_row(backend: Backend) {
    restart_after(
        backend,
        "DELETE FROM ledger_chains WHERE chain_id = 'restart'",
        &["head row", "seq 6"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_tail_stays_broken_across_a_restart_and_a_write_on_sqlite() {
    cut_tail(Backend::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_tail_stays_broken_across_a_restart_and_a_write_on_postgres() {
    if let Some(backend) = Backend::postgres("restart after a cut tail").await {
        cut_tail(backend).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_head_row_stays_broken_across_a_restart_on_sqlite() {
    deleted_head_row(Backend::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_head_row_stays_broken_across_a_restart_on_postgres() {
    if let Some(backend) = Backend::postgres("restart after a deleted head row").await {
        deleted_head_row(backend).await;
    }
}
