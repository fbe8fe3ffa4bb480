//! What the ledger tests of issue 11 share on the real binary (`restart`, `data_dir`,
//! `disk_full`, `tamper`, `evidence_reads`): recording choices over HTTP, running `kapsel
//! ledger verify`, and raw SQL on the backend as someone with database access would.

use serde_json::{Value, json};

use super::harness::{Backend, Server, kapsel};

/// The current revision of `site` in the example.
pub fn revision(site: &str) -> String {
    let file = kapsel_testkit::example_file();
    kapsel_core::privacy::revision::site_revision(&file, site)
        .unwrap()
        .to_string()
}

/// A valid choice on `www`; every other one grants analytics.
pub fn choice(n: usize) -> Value {
    json!({
        "site": "www",
        "revision": revision("www"),
        "language": "nb",
        "action": if n.is_multiple_of(2) { "reject_all" } else { "custom" },
        "categories": { "analytics": !n.is_multiple_of(2) },
    })
}

/// POSTs `body`; the status and the JSON answer.
pub async fn post(server: &Server, body: &Value) -> (u16, Value, reqwest::header::HeaderMap) {
    let response = reqwest::Client::new()
        .post(server.url("/v1/consent"))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        headers,
    )
}

/// Records `n` choices, each a 201; returns the receipts.
pub async fn record(server: &Server, n: usize) -> Vec<Value> {
    let mut receipts = Vec::new();
    for i in 0..n {
        let (status, receipt, _) = post(server, &choice(i)).await;
        assert_eq!(status, 201, "{receipt}");
        receipts.push(receipt);
    }
    receipts
}

/// `kapsel ledger verify` on `backend`: exit code and stdout + stderr.
pub fn verify(backend: &Backend) -> (i32, String) {
    let mut args = vec!["ledger".to_owned(), "verify".to_owned()];
    args.extend(backend.flags());
    let output = kapsel(&args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// Runs `sql` on the backend, bypassing Kapsel.
pub async fn raw(backend: &Backend, sql: &str) -> u64 {
    let store = backend.open().await;
    let affected = match &store {
        kapsel_store::Store::Sqlite(pool) => sqlx::query(sql)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()),
        kapsel_store::Store::Postgres(pool) => sqlx::query(sql)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()),
    }
    .unwrap_or_else(|err| panic!("{sql}: {err}"));
    store.close().await;
    affected
}
