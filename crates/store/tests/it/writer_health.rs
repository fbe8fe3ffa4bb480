//! A writer whose storage fails (issue 11, defect 8) answers `LedgerError::Unavailable` (the
//! consent API's 503 with Retry-After), reports itself failing for readiness, and recovers by
//! itself: its probe reconnects and writes once the storage is back, with no append needed.
//! Injected for real on PostgreSQL by terminating the writer's backend; the SQLite disk-full
//! case runs on a small tmpfs in the CLI tests (`crates/cli/tests/it/disk_full.rs`).

use std::sync::Arc;
use std::time::Duration;

use kapsel_core::ManualClock;
use kapsel_core::consent::ConsentAction;
use kapsel_store::{LedgerAppend, LedgerError, LedgerVerify, Store, WriterHealth};
use tokio::time::Instant;

use super::backends::{T0, TestBackend, append_n, choice, context, lifetimes, new_id, start};

/// Terminates the session holding the chain lock of `chain` in this test's schema (and no
/// other session of the shared server), as a database restart would.
async fn kill_writer_session(store: &Store, chain: &str) -> u64 {
    let Store::Postgres(pool) = store else {
        unreachable!("PostgreSQL only")
    };
    sqlx::query(
        "SELECT pg_terminate_backend(locks.pid) FROM pg_locks AS locks, \
         (SELECT hashtextextended('kapsel-chain:' || current_schema() || ':' || $1, 0) AS k) AS key \
         WHERE locks.locktype = 'advisory' \
         AND locks.classid = ((key.k >> 32) & 4294967295)::oid \
         AND locks.objid = (key.k & 4294967295)::oid \
         AND locks.pid <> pg_backend_pid()",
    )
    .bind(chain)
    .execute(pool)
    .await
    .unwrap()
    .rows_affected()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_session_is_unavailable_then_probed_back_to_ready_on_postgres() {
    let test = concat!(module_path!(), "::a_lost_database_session_is_unavailable");
    let Some(backend) = TestBackend::postgres(test).await else {
        return;
    };
    let (ledger, shutdown) = start(&backend, "c1", Arc::new(ManualClock::at(T0))).await;
    append_n(&ledger, "www", 3).await;
    assert_eq!(ledger.health(), WriterHealth::Ready);
    assert_eq!(kill_writer_session(&backend.store, "c1").await, 1);

    let failed = ledger
        .append(
            new_id(),
            choice("www", ConsentAction::RejectAll, false),
            context(),
            lifetimes(),
        )
        .await;
    assert!(
        matches!(failed, Err(LedgerError::Unavailable(_))),
        "a lost session is the storage's failure, not the request's: {failed:?}"
    );
    assert!(
        matches!(ledger.health(), WriterHealth::Failing { failures: 1, .. }),
        "{:?}",
        ledger.health()
    );
    // No append comes; the probe finds the database back within a few retry intervals.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ledger.health().is_ready() {
        assert!(
            Instant::now() < deadline,
            "never ready: {:?}",
            ledger.health()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    append_n(&ledger, "www", 2).await;
    shutdown.cancel();
    ledger.stopped().await;
    let summary = backend.store.verify_chain("c1").await.unwrap().unwrap();
    assert_eq!(summary.records, 5, "the failed append left nothing behind");
    backend.finish().await;
}
