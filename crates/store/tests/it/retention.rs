//! The retention engine's evidence on both backends: disposal records chain per rule and verify,
//! an edited record is found, and holds are kept, listed and released once, never removed.

use std::collections::BTreeMap;

use kapsel_core::retention::hold::{Hold, HoldScope};
use kapsel_core::retention::record::{DisposalKind, NewDisposal, verify_chain};
use kapsel_store::{HoldError, Retention};

use super::backends::{T0, TestBackend, on_every_backend};

on_every_backend!(
    disposal_records_chain_per_rule_and_an_edit_is_found,
    a_hold_is_released_once_and_stays_listed,
);

fn record(kind: DisposalKind, rows: u64) -> NewDisposal {
    NewDisposal {
        at_ms: T0,
        actor: "cli".into(),
        kind,
        detail: BTreeMap::from([("rows_deleted".to_owned(), rows.to_string())]),
    }
}

async fn disposal_records_chain_per_rule_and_an_edit_is_found(backend: &TestBackend) {
    let store = &backend.store;
    for rows in [0, 10, 20] {
        store
            .append_disposal("logs", record(DisposalKind::BatchDone, rows))
            .await
            .unwrap();
    }
    let other = store
        .append_disposal("tickets", record(DisposalKind::RunStarted, 0))
        .await
        .unwrap();
    assert_eq!(other.seq, 1, "each rule has its own chain");
    let logs = store.disposals("logs").await.unwrap();
    assert_eq!(logs.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(logs[2].count("rows_deleted"), 20);
    assert_eq!(verify_chain(&logs), Ok(()));
    assert_eq!(
        store.last_disposal("logs").await.unwrap().as_ref(),
        logs.last()
    );
    assert_eq!(store.disposal_rules().await.unwrap(), ["logs", "tickets"]);
    backend
        .raw("UPDATE retention_records SET detail = '{\"rows_deleted\":\"2\"}' WHERE seq = 2 AND rule = 'logs'")
        .await;
    let edited = store.disposals("logs").await.unwrap();
    assert!(verify_chain(&edited).is_err_and(|e| e.contains("record 2 was changed")));
}

async fn a_hold_is_released_once_and_stays_listed(backend: &TestBackend) {
    let store = &backend.store;
    let hold = Hold {
        id: "H-1".into(),
        scope: HoldScope::Subject {
            hashes: vec!["a".repeat(64)],
            case_id: Some("C-1".into()),
        },
        owner: "legal@example.no".into(),
        reason: "Dispute about an invoice".into(),
        created_ms: T0,
        expires_ms: T0 + 86_400_000,
        released_ms: None,
        released_by: None,
        reminded_ms: None,
    };
    store.add_hold(&hold).await.unwrap();
    assert!(matches!(
        store.add_hold(&hold).await,
        Err(HoldError::Exists(_))
    ));
    assert_eq!(store.holds().await.unwrap(), std::slice::from_ref(&hold));
    store.mark_hold_reminded("H-1", T0 + 5).await.unwrap();
    let released = store.release_hold("H-1", "lead", T0 + 10).await.unwrap();
    assert_eq!(
        (
            released.released_ms,
            released.released_by.as_deref(),
            released.reminded_ms
        ),
        (Some(T0 + 10), Some("lead"), Some(T0 + 5))
    );
    assert!(!released.active_at(T0 + 11));
    assert!(matches!(
        store.release_hold("H-1", "lead", T0 + 20).await,
        Err(HoldError::Released(_))
    ));
    assert!(matches!(
        store.release_hold("H-2", "lead", T0).await,
        Err(HoldError::Unknown(_))
    ));
    assert_eq!(
        store.holds().await.unwrap().len(),
        1,
        "a released hold stays listed"
    );
}
