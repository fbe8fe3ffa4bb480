//! Writing (`LedgerAppend` on the group-commit `Ledger`): concurrent appends form one intact
//! chain in few batches, a restarted writer resumes its chain, shutdown commits what is
//! queued, and on PostgreSQL a chain has one writer at a time.

use std::collections::HashSet;
use std::sync::Arc;

use kapsel_core::ManualClock;
use kapsel_core::consent::ConsentAction;
use kapsel_store::{Ledger, LedgerAppend, LedgerError, LedgerRead, LedgerVerify};
use tokio_util::sync::CancellationToken;

use super::backends::{
    T0, TestBackend, append_n, choice, context, lifetimes, new_id, on_every_backend, start,
};

on_every_backend!(
    concurrent_appends_form_one_intact_chain,
    the_ledger_resumes_its_chain_and_several_chains_verify,
    shutdown_commits_every_append_already_answered_or_queued,
);

async fn concurrent_appends_form_one_intact_chain(backend: &TestBackend) {
    let (ledger, shutdown) = start(backend, "busy", Arc::new(ManualClock::at(T0))).await;
    let tasks: Vec<_> = (0..48)
        .map(|task| {
            let ledger = ledger.clone();
            tokio::spawn(async move { append_n(&ledger, &format!("site{}", task % 3), 25).await })
        })
        .collect();
    let mut receipts = Vec::new();
    for task in tasks {
        receipts.extend(task.await.unwrap());
    }
    assert_eq!(receipts.len(), 1200);
    let ids: HashSet<_> = receipts.iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        ids.len(),
        1200,
        "{}: receipt ids must be unique",
        backend.name
    );
    for receipt in receipts.iter().step_by(97) {
        let record = backend
            .store
            .get_record(&receipt.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.hash, receipt.hash);
        assert_eq!(record.compute_hash(), receipt.hash);
    }
    let verdicts = backend.store.verify_all().await.unwrap();
    assert_eq!(verdicts.len(), 1);
    let summary = verdicts[0].clone().unwrap();
    assert_eq!(summary.records, 1200, "{}", backend.name);
    let batches = ledger
        .stats()
        .batches
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        batches < 1200,
        "{}: group commit should batch, got {batches} batches",
        backend.name
    );
    shutdown.cancel();
    ledger.stopped().await;
}

async fn the_ledger_resumes_its_chain_and_several_chains_verify(backend: &TestBackend) {
    let (ledger, shutdown) = start(backend, "alpha", Arc::new(ManualClock::at(T0))).await;
    append_n(&ledger, "www", 3).await;
    shutdown.cancel();
    ledger.stopped().await;
    assert!(matches!(
        ledger
            .append(
                new_id(),
                choice("www", ConsentAction::RejectAll, false),
                context(),
                lifetimes()
            )
            .await,
        Err(LedgerError::ShuttingDown)
    ));

    let (alpha, stop_alpha) = start(backend, "alpha", Arc::new(ManualClock::at(T0 + 1))).await;
    let (beta, stop_beta) = start(backend, "beta", Arc::new(ManualClock::at(T0 + 1))).await;
    let resumed = append_n(&alpha, "www", 2).await;
    append_n(&beta, "www", 4).await;
    let record = backend
        .store
        .get_record(&resumed[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.seq, 4, "{}", backend.name);

    let verdicts = backend.store.verify_all().await.unwrap();
    let summaries: Vec<_> = verdicts.into_iter().map(|v| v.unwrap()).collect();
    let counts: Vec<_> = summaries
        .iter()
        .map(|s| (s.chain_id.as_str(), s.records))
        .collect();
    assert_eq!(counts, [("alpha", 5), ("beta", 4)], "{}", backend.name);
    for token in [stop_alpha, stop_beta] {
        token.cancel();
    }
    alpha.stopped().await;
    beta.stopped().await;
}

async fn shutdown_commits_every_append_already_answered_or_queued(backend: &TestBackend) {
    let shutdown = CancellationToken::new();
    let ledger = Ledger::start(
        backend.store.clone(),
        "c".into(),
        Arc::new(kapsel_core::clock::FixedClock(5)),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                ledger
                    .append(
                        new_id(),
                        choice("www", ConsentAction::AcceptAll, true),
                        context(),
                        lifetimes(),
                    )
                    .await
            })
        })
        .collect();
    tokio::task::yield_now().await;
    shutdown.cancel();
    let mut ok = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(receipt) => ok.push(receipt),
            Err(LedgerError::ShuttingDown) => {}
            Err(other) => panic!("{}: unexpected {other}", backend.name),
        }
    }
    ledger.stopped().await;
    for receipt in &ok {
        assert!(
            backend
                .store
                .get_record(&receipt.id)
                .await
                .unwrap()
                .is_some()
        );
    }
    let summary = backend.store.verify_chain("c").await.unwrap().unwrap();
    assert_eq!(summary.records as usize, ok.len(), "{}", backend.name);
}

/// PostgreSQL only: the one-writer-per-chain lock is a PostgreSQL advisory lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_on_the_same_postgres_chain_is_refused() {
    let test = concat!(
        module_path!(),
        "::a_second_writer_on_the_same_postgres_chain_is_refused"
    );
    let Some(backend) = TestBackend::postgres(test).await else {
        return;
    };
    let shutdown = CancellationToken::new();
    let clock = Arc::new(ManualClock::at(0));
    let first = Ledger::start(
        backend.store.clone(),
        "shared".into(),
        clock.clone(),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let second = Ledger::start(
        backend.store.clone(),
        "shared".into(),
        clock,
        shutdown.clone(),
    )
    .await;
    assert!(matches!(second, Err(LedgerError::ChainInUse(ref c)) if c == "shared"));
    shutdown.cancel();
    first.stopped().await;
    backend.finish().await;
}
