//! Writer-specific behaviour: chain ids per instance, one writer per chain on PostgreSQL,
//! shutdown that commits what is queued.

use std::sync::Arc;

use kapsel_core::consent::ConsentAction;
use kapsel_store::{Ledger, LedgerError, Store};
use tokio_util::sync::CancellationToken;

use super::backends::{HandClock, backends, choice, context, lifetimes, new_id};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_id_comes_from_flag_then_data_dir_then_database() {
    for backend in backends().await {
        let store = &backend.store;
        assert_eq!(
            store.resolve_chain_id(Some("edge-1"), None).await.unwrap(),
            "edge-1"
        );
        let dir = tempfile::tempdir().unwrap();
        let from_dir = store
            .resolve_chain_id(None, Some(dir.path()))
            .await
            .unwrap();
        assert_eq!(
            store
                .resolve_chain_id(None, Some(dir.path()))
                .await
                .unwrap(),
            from_dir
        );
        let from_db = store.resolve_chain_id(None, None).await.unwrap();
        assert_eq!(store.resolve_chain_id(None, None).await.unwrap(), from_db);
        assert_ne!(from_db, from_dir);
        backend.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_writer_on_the_same_postgres_chain_is_refused() {
    for backend in backends().await {
        if !matches!(backend.store, Store::Postgres(_)) {
            continue;
        }
        let shutdown = CancellationToken::new();
        let clock = HandClock::at(0);
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_commits_every_append_already_answered_or_queued() {
    for backend in backends().await {
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
        backend.finish().await;
    }
}
