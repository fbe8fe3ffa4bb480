//! Verification (`LedgerVerify`): a record changed or removed behind the ledger's back, in the
//! middle of a chain or at its end, is named.

use std::sync::Arc;

use kapsel_core::ManualClock;
use kapsel_core::consent::chain::BreakKind;
use kapsel_store::LedgerVerify;

use super::backends::{T0, TestBackend, append_n, on_every_backend, start};

on_every_backend!(
    a_row_changed_by_raw_sql_is_named_by_verify,
    removed_rows_are_detected_in_the_middle_and_at_the_end,
);

async fn a_row_changed_by_raw_sql_is_named_by_verify(backend: &TestBackend) {
    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0))).await;
    let receipts = append_n(&ledger, "www", 10).await;
    assert!(backend.store.verify_chain("c1").await.unwrap().is_ok());
    let changed = backend
        .raw("UPDATE consent_records SET categories = '{\"analytics\":true,\"necessary\":true}' WHERE chain_id = 'c1' AND seq = 4")
        .await;
    assert_eq!(changed, 1);
    let broken = backend.store.verify_chain("c1").await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 4, "{}: {broken}", backend.name);
    assert_eq!(broken.record_id, receipts[3].id);
    assert!(
        matches!(broken.problem, BreakKind::HashMismatch { .. }),
        "{broken}"
    );
    shutdown.cancel();
    ledger.stopped().await;
}

async fn removed_rows_are_detected_in_the_middle_and_at_the_end(backend: &TestBackend) {
    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0))).await;
    append_n(&ledger, "www", 10).await;
    shutdown.cancel();
    ledger.stopped().await;

    backend
        .raw("DELETE FROM consent_records WHERE chain_id = 'c1' AND seq = 10")
        .await;
    let broken = backend.store.verify_chain("c1").await.unwrap().unwrap_err();
    assert!(
        matches!(
            broken.problem,
            BreakKind::HeadMismatch {
                recorded_seq: 10,
                ..
            }
        ),
        "{}: {broken}",
        backend.name
    );

    backend
        .raw("DELETE FROM consent_records WHERE chain_id = 'c1' AND seq = 5")
        .await;
    let broken = backend.store.verify_chain("c1").await.unwrap().unwrap_err();
    assert_eq!(
        (broken.seq, broken.problem),
        (6, BreakKind::SeqGap { expected: 5 }),
        "{}",
        backend.name
    );
}
