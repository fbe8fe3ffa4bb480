//! Opening and migrating: applying the migrations again is harmless and keeps the data.

use std::sync::Arc;

use kapsel_core::ManualClock;
use kapsel_store::LedgerVerify;

use super::backends::{T0, TestBackend, append_n, on_every_backend, start};

on_every_backend!(migrating_twice_is_harmless_and_keeps_data);

async fn migrating_twice_is_harmless_and_keeps_data(backend: &TestBackend) {
    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0))).await;
    append_n(&ledger, "www", 3).await;
    backend.store.migrate().await.unwrap();
    backend.store.migrate().await.unwrap();
    assert_eq!(
        backend.store.chain_page("c1", 0, 100).await.unwrap().len(),
        3,
        "{}",
        backend.name
    );
    shutdown.cancel();
    ledger.stopped().await;
}
