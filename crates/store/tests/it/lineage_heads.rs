//! A receipt's current state in O(1) (issue 11, defect 4): the writer keeps each lineage's head
//! in `receipt_heads`, in the same transaction as the batch that appends to it, and migration
//! 0005 backfills the heads of lineages recorded before. Past 10,000 hops — where the old
//! bounded walk stopped and answered a stale record — the true newest record is answered.
//! The secret's hash is kept with the record it belongs to.

use std::sync::Arc;
use std::time::Duration;

use kapsel_core::ManualClock;
use kapsel_core::consent::{ConsentAction, Receipt};
use kapsel_store::{AppendRequest, Ledger, LedgerAppend, LedgerRead, LedgerVerify};
use tokio::time::Instant;

use super::backends::{
    T0, TestBackend, choice, context, lifetimes, new_id, on_every_backend, start,
};

/// How many hops the long lineages have: past the 10,000 the old walk stopped at.
const HOPS: usize = 10_050;

on_every_backend!(
    ten_thousand_hops_built_by_the_writer_answer_the_true_head,
    a_later_record_of_another_chain_keeps_the_head,
    the_secret_hash_is_kept_with_its_record,
);

async fn replace(ledger: &Ledger, previous: Option<&Receipt>) -> Receipt {
    let mut next = choice("www", ConsentAction::Custom, previous.is_none());
    next.previous_receipt = previous.map(|receipt| receipt.id.clone());
    ledger
        .append(new_id(), next, context(), lifetimes())
        .await
        .unwrap()
}

/// Times one `latest_for_receipt` (the GET's query), for the printed report only.
async fn timed_latest(backend: &TestBackend, id: &str) -> (String, Duration) {
    let started = Instant::now();
    let latest = backend.store.latest_for_receipt(id).await.unwrap().unwrap();
    (latest.id, started.elapsed())
}

async fn ten_thousand_hops_built_by_the_writer_answer_the_true_head(backend: &TestBackend) {
    // One append after the other, each its own batch, through the writer's public API: the
    // heads are moved by the code that serves POST /v1/consent.
    let clock = Arc::new(ManualClock::at(T0));
    let (ledger, shutdown) = start(backend, "long", clock.clone()).await;
    let built = Instant::now();
    let first = replace(&ledger, None).await;
    let mut last = first.clone();
    for _ in 1..HOPS {
        clock.advance(1);
        last = replace(&ledger, Some(&last)).await;
    }
    let built = built.elapsed();
    shutdown.cancel();
    ledger.stopped().await;

    let (from_first, first_time) = timed_latest(backend, &first.id).await;
    assert_eq!(
        from_first, last.id,
        "{}: the true head after {HOPS} hops",
        backend.name
    );
    let (from_last, _) = timed_latest(backend, &last.id).await;
    assert_eq!(from_last, last.id);
    // The bounded walk (what the GET answered before) stops 50 records short.
    let started = Instant::now();
    let walked = backend.store.receipt_lineage(&first.id).await.unwrap();
    let walk_time = started.elapsed();
    assert_eq!(walked.len(), 10_000);
    assert_ne!(walked.last().unwrap().id, last.id, "the walk is bounded");
    eprintln!(
        "{}: {HOPS} hops built in {built:?}; current state from the first receipt: head \
         pointer {first_time:?}, bounded walk {walk_time:?}",
        backend.name
    );
    let summary = backend.store.verify_chain("long").await.unwrap().unwrap();
    assert_eq!(summary.records as usize, HOPS);
}

async fn a_later_record_of_another_chain_keeps_the_head(backend: &TestBackend) {
    // Two writers extend one lineage; the head is the newest record by (time, chain, seq),
    // whichever commits last.
    let clock_a = Arc::new(ManualClock::at(T0));
    let clock_b = Arc::new(ManualClock::at(T0 + 10));
    let (alpha, stop_alpha) = start(backend, "alpha", clock_a.clone()).await;
    let (beta, stop_beta) = start(backend, "beta", clock_b.clone()).await;
    let root = replace(&alpha, None).await;
    let newer = replace(&beta, Some(&root)).await;
    clock_a.advance(5); // still older than `newer`
    let older = replace(&alpha, Some(&root)).await;
    assert!(older.recorded_at_ms < newer.recorded_at_ms);
    for id in [&root.id, &newer.id, &older.id] {
        let head = backend.store.latest_for_receipt(id).await.unwrap().unwrap();
        assert_eq!(head.id, newer.id, "{}", backend.name);
    }
    clock_a.advance(100);
    let newest = replace(&alpha, Some(&older)).await;
    let head = backend
        .store
        .latest_for_receipt(&root.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(head.id, newest.id, "{}", backend.name);
    for token in [stop_alpha, stop_beta] {
        token.cancel();
    }
    alpha.stopped().await;
    beta.stopped().await;
}

async fn the_secret_hash_is_kept_with_its_record(backend: &TestBackend) {
    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0))).await;
    let mut request = AppendRequest::new(
        new_id(),
        choice("www", ConsentAction::AcceptAll, true),
        context(),
        lifetimes(),
    );
    request.secret_hash = Some("ab".repeat(32));
    let receipt = ledger.submit(request).await.unwrap();
    let old_style = replace(&ledger, None).await;
    let kept = backend
        .store
        .previous_receipt(&receipt.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.site, "www");
    assert_eq!(kept.secret_hash, Some("ab".repeat(32)), "{}", backend.name);
    let without = backend
        .store
        .previous_receipt(&old_style.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(without.secret_hash, None);
    assert!(
        backend
            .store
            .previous_receipt(&new_id())
            .await
            .unwrap()
            .is_none()
    );
    // The secret's hash is not part of the record's evidence: the chain verifies as before.
    assert!(backend.store.verify_chain("c1").await.unwrap().is_ok());
    shutdown.cancel();
    ledger.stopped().await;
}

/// Inserts a linear lineage of `HOPS` records `L…1` ← `L…2` ← … in one statement, and a
/// branching one `B1` ← `B2`, `B1` ← `B3` (newest), `B2` ← `B4` (older than `B3`), as rows an
/// older Kapsel wrote (their hashes do not matter to the heads).
async fn insert_old_lineages(backend: &TestBackend) {
    let columns = "id, chain_id, seq, recorded_at_ms, expires_at_ms, site, revision, language, \
                   action, categories, services, previous_receipt, gpc, ip_prefix, ua_family, \
                   prev_hash, hash";
    let linear = if backend.name == "sqlite" {
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {HOPS}) \
             INSERT INTO consent_records ({columns}) SELECT printf('L%025d', i), 'old', i, \
             1000 + i, 2000 + i, 'www', 'r', 'nb', 'custom', '{{}}', '{{}}', \
             CASE WHEN i = 1 THEN NULL ELSE printf('L%025d', i - 1) END, 0, NULL, 'other', \
             'p', 'h' FROM n"
        )
    } else {
        format!(
            "INSERT INTO consent_records ({columns}) SELECT 'L' || lpad(i::text, 25, '0'), \
             'old', i, 1000 + i, 2000 + i, 'www', 'r', 'nb', 'custom', '{{}}', '{{}}', \
             CASE WHEN i = 1 THEN NULL ELSE 'L' || lpad((i - 1)::text, 25, '0') END, false, \
             NULL, 'other', 'p', 'h' FROM generate_series(1, {HOPS}) AS i"
        )
    };
    assert_eq!(backend.raw(&linear).await, HOPS as u64);
    let gpc = if backend.name == "sqlite" {
        "0"
    } else {
        "false"
    };
    for (n, previous, at) in [
        (1, None, 10),
        (2, Some(1), 20),
        (3, Some(1), 40),
        (4, Some(2), 30),
    ] {
        let previous = previous.map_or("NULL".to_owned(), |p| format!("'B{p:025}'"));
        let seq = 20_000 + n;
        backend
            .raw(&format!(
                "INSERT INTO consent_records ({columns}) VALUES ('B{n:025}', 'old', {seq}, \
                 {at}, {at}, 'www', 'r', 'nb', 'custom', '{{}}', '{{}}', {previous}, {gpc}, \
                 NULL, 'other', 'p', 'h')"
            ))
            .await;
    }
}

async fn backfilled(backend: TestBackend) {
    insert_old_lineages(&backend).await;
    backend.store.migrate().await.unwrap();
    let head = |id: String| {
        let store = backend.store.clone();
        async move { store.latest_for_receipt(&id).await.unwrap().unwrap().id }
    };
    let last = format!("L{HOPS:025}");
    assert_eq!(head(format!("L{:025}", 1)).await, last, "{}", backend.name);
    assert_eq!(head(format!("L{:025}", 5_000)).await, last);
    assert_eq!(head(last.clone()).await, last);
    for n in 1..=4 {
        assert_eq!(head(format!("B{n:025}")).await, format!("B{:025}", 3));
    }
    backend.finish().await;
}

/// Migration 0005 on a ledger an older Kapsel wrote (migrations 1–4): the heads of existing
/// lineages are backfilled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_backfills_the_heads_of_old_lineages_on_sqlite() {
    backfilled(TestBackend::sqlite_at(4).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_backfills_the_heads_of_old_lineages_on_postgres() {
    let test = concat!(
        module_path!(),
        "::migration_backfills_the_heads_of_old_lineages"
    );
    if let Some(backend) = TestBackend::postgres_at(test, 4).await {
        backfilled(backend).await;
    }
}
