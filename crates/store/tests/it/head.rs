//! The writer's start-up head check (issue 11, defect 1): a chain cut at its end, a deleted head
//! row or a rewritten last record stops the writer with the chain, seqs and hashes named, and
//! no sequence number is ever handed out twice; `verify` names a deleted head row too. A first
//! start (no records, no head row) and an intact chain start as before.

use std::sync::Arc;

use kapsel_core::ManualClock;
use kapsel_core::consent::chain::BreakKind;
use kapsel_core::signing::SigningKey;
use kapsel_core::signing::gap::GapNote;
use kapsel_store::{Checkpoints, Ledger, LedgerError, LedgerRead, LedgerVerify, StoredGap};
use tokio_util::sync::CancellationToken;

use super::backends::{T0, TestBackend, append_n, on_every_backend, start};

on_every_backend!(
    a_cut_tail_stops_the_writer_and_no_seq_is_reused,
    a_deleted_head_row_is_named_by_verify_and_stops_the_writer,
    a_rewritten_last_record_stops_the_writer,
    after_an_acknowledged_gap_the_writer_resumes_past_the_recorded_head,
);

async fn try_start(backend: &TestBackend, chain: &str) -> Result<Ledger, LedgerError> {
    Ledger::start(
        backend.store.clone(),
        chain.into(),
        Arc::new(ManualClock::at(T0 + 1)),
        CancellationToken::new(),
    )
    .await
}

async fn stop(ledger: Ledger, shutdown: CancellationToken) {
    shutdown.cancel();
    ledger.stopped().await;
}

async fn a_cut_tail_stops_the_writer_and_no_seq_is_reused(backend: &TestBackend) {
    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0))).await;
    let receipts = append_n(&ledger, "www", 10).await;
    stop(ledger, shutdown).await;
    backend
        .raw("DELETE FROM consent_records WHERE chain_id = 'c1' AND seq > 8")
        .await;

    let Err(LedgerError::HeadMismatch(mismatch)) = try_start(backend, "c1").await else {
        panic!("{}: the writer started on a cut chain", backend.name);
    };
    assert_eq!(
        mismatch.recorded,
        Some((10, receipts[9].hash.clone())),
        "{}",
        backend.name
    );
    assert_eq!(mismatch.found, Some((8, receipts[7].hash.clone())));
    assert_eq!(mismatch.next_unused_seq(), 11);
    let text = mismatch.to_string();
    for named in [
        "chain c1",
        "seq 10",
        "seq 8",
        &receipts[9].hash,
        &receipts[7].hash,
    ] {
        assert!(
            text.contains(named),
            "{}: {text} lacks {named}",
            backend.name
        );
    }
    // Nothing was written by the refused start, and verify still says where the chain was cut.
    assert_eq!(
        backend.store.chain_page("c1", 0, 100).await.unwrap().len(),
        8
    );
    let broken = backend.store.verify_chain("c1").await.unwrap().unwrap_err();
    assert!(
        matches!(
            broken.problem,
            BreakKind::HeadMismatch {
                recorded_seq: 10,
                ..
            }
        ),
        "{broken}"
    );
    // Every start refuses, not only the first.
    assert!(matches!(
        try_start(backend, "c1").await,
        Err(LedgerError::HeadMismatch(_))
    ));
    // Other chains are not affected.
    let (other, stop_other) = start(backend, "c2", Arc::new(ManualClock::at(T0))).await;
    assert_eq!(append_n(&other, "www", 1).await.len(), 1);
    stop(other, stop_other).await;
    assert!(
        backend
            .store
            .get_record(&receipts[9].id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_deleted_head_row_is_named_by_verify_and_stops_the_writer(backend: &TestBackend) {
    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0))).await;
    let receipts = append_n(&ledger, "www", 5).await;
    stop(ledger, shutdown).await;
    assert_eq!(
        backend
            .raw("DELETE FROM ledger_chains WHERE chain_id = 'c1'")
            .await,
        1
    );
    let broken = backend.store.verify_chain("c1").await.unwrap().unwrap_err();
    assert_eq!(
        (broken.seq, broken.problem.clone()),
        (
            5,
            BreakKind::HeadMissing {
                found_hash: receipts[4].hash.clone()
            }
        ),
        "{}",
        backend.name
    );
    assert!(broken.to_string().contains("head row"), "{broken}");
    let verdicts = backend.store.verify_all().await.unwrap();
    assert!(
        verdicts.iter().any(Result::is_err),
        "verify_all sees it too"
    );

    // Cutting the tail and deleting the head row together is caught as well.
    backend
        .raw("DELETE FROM consent_records WHERE chain_id = 'c1' AND seq = 5")
        .await;
    let Err(LedgerError::HeadMismatch(mismatch)) = try_start(backend, "c1").await else {
        panic!("{}: the writer started without a head row", backend.name);
    };
    assert_eq!(mismatch.recorded, None);
    assert_eq!(mismatch.found, Some((4, receipts[3].hash.clone())));
    assert!(mismatch.to_string().contains("head row"), "{mismatch}");
}

async fn a_rewritten_last_record_stops_the_writer(backend: &TestBackend) {
    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0))).await;
    append_n(&ledger, "www", 3).await;
    stop(ledger, shutdown).await;
    // The last record's content changes; its stored hash, and so the head row, stay.
    backend
        .raw("UPDATE consent_records SET gpc = NOT gpc WHERE chain_id = 'c1' AND seq = 3")
        .await;
    let Err(LedgerError::HeadMismatch(mismatch)) = try_start(backend, "c1").await else {
        panic!("{}: the writer started on a rewritten record", backend.name);
    };
    assert!(mismatch.last_record_rehashed.is_some(), "{mismatch}");
    assert!(mismatch.to_string().contains("rewritten"), "{mismatch}");
}

async fn after_an_acknowledged_gap_the_writer_resumes_past_the_recorded_head(
    backend: &TestBackend,
) {
    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0))).await;
    let receipts = append_n(&ledger, "www", 10).await;
    stop(ledger, shutdown).await;
    backend
        .raw("DELETE FROM consent_records WHERE chain_id = 'c1' AND seq > 8")
        .await;
    // What `kapsel ledger repair` appends: a signed note of exactly this cut.
    let key = SigningKey::from_seed("kapsel.test", [7; 32]).unwrap();
    let note = GapNote {
        origin: "kapsel.test/ledger/c1".into(),
        found_seq: 8,
        found_hash: receipts[7].hash.clone(),
        recorded_seq: 10,
        recorded_hash: receipts[9].hash.clone(),
        time_ms: T0 + 1,
    };
    backend
        .store
        .append_gap(&StoredGap {
            chain_id: "c1".into(),
            first_missing: 9,
            last_missing: 10,
            acknowledged_at_ms: T0 + 1,
            note: note.sign(&key),
        })
        .await
        .unwrap();

    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0 + 2))).await;
    let after = append_n(&ledger, "www", 2).await;
    stop(ledger, shutdown).await;
    let seqs: Vec<i64> = backend
        .store
        .chain_page("c1", 0, 100)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6, 7, 8, 11, 12], "{}", backend.name);
    let resumed = backend
        .store
        .get_record(&after[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        resumed.prev_hash, receipts[9].hash,
        "linked to the recorded head"
    );
    // Verify walks across the gap only when given it.
    assert!(backend.store.verify_chain("c1").await.unwrap().is_err());
    let summary = backend
        .store
        .verify_chain_across("c1", vec![note.gap()])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (summary.records, summary.head_seq),
        (10, 12),
        "{}",
        backend.name
    );
    // A cut after the gap stops the writer again: the old acknowledgement does not cover it.
    backend
        .raw("DELETE FROM consent_records WHERE chain_id = 'c1' AND seq = 12")
        .await;
    assert!(matches!(
        try_start(backend, "c1").await,
        Err(LedgerError::HeadMismatch(_))
    ));
}
