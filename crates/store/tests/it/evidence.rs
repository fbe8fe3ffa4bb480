//! The ledger as evidence (issue 11, defect 11): a kept revision document that no longer hashes
//! to its revision is named, and so is a revision records were made under whose document is
//! gone; one unreadable row neither ends an export (it is an error item, and the rows after it
//! follow) nor hides the other chains from `verify_all`.

use std::sync::Arc;

use futures::StreamExt;
use kapsel_core::ManualClock;
use kapsel_core::consent::chain::BreakKind;
use kapsel_core::privacy::Revision;
use kapsel_store::{
    ExportFilter, LedgerRead, LedgerVerify, RevisionProblem, RevisionStore, StoreError,
};

use super::backends::{T0, TestBackend, append_n, on_every_backend, start};

on_every_backend!(
    a_replaced_or_missing_revision_document_is_named,
    one_unreadable_row_is_named_and_the_rest_is_read,
);

async fn a_replaced_or_missing_revision_document_is_named(backend: &TestBackend) {
    let store = &backend.store;
    let document = r#"{"site":"www"}"#;
    let revision = Revision::of_canonical_json(document).as_str().to_owned();
    store
        .publish_revision("www", &revision, T0, document)
        .await
        .unwrap();
    let verdict = store.verify_revisions().await.unwrap();
    assert_eq!((verdict.documents, verdict.problems.len()), (1, 0));

    backend
        .raw(r#"UPDATE published_revisions SET document = '{"site":"evil"}'"#)
        .await;
    let verdict = store.verify_revisions().await.unwrap();
    assert!(
        matches!(&verdict.problems[..], [RevisionProblem::Replaced { site, .. }] if site == "www"),
        "{}: {:?}",
        backend.name,
        verdict.problems
    );
    assert!(verdict.problems[0].to_string().contains("replaced"));

    // Records made under a revision (here the fixtures' rev-1) whose document is not kept.
    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0))).await;
    append_n(&ledger, "www", 2).await;
    shutdown.cancel();
    ledger.stopped().await;
    let verdict = store.verify_revisions().await.unwrap();
    assert!(
        verdict.problems.iter().any(|p| matches!(p,
            RevisionProblem::Missing { revision, records: 2, .. } if revision == "rev-1")),
        "{}: {:?}",
        backend.name,
        verdict.problems
    );
}

async fn one_unreadable_row_is_named_and_the_rest_is_read(backend: &TestBackend) {
    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0))).await;
    let receipts = append_n(&ledger, "www", 5).await;
    let (other, stop_other) = start(backend, "c2", Arc::new(ManualClock::at(T0))).await;
    append_n(&other, "www", 2).await;
    for token in [shutdown, stop_other] {
        token.cancel();
    }
    ledger.stopped().await;
    other.stopped().await;
    backend
        .raw("UPDATE consent_records SET action = 'forged' WHERE chain_id = 'c1' AND seq = 2")
        .await;

    let items: Vec<_> = backend
        .store
        .export(ExportFilter::default())
        .collect()
        .await;
    assert_eq!(
        items.len(),
        7,
        "{}: every row, the bad one as an error",
        backend.name
    );
    let bad: Vec<_> = items
        .iter()
        .filter_map(|item| item.as_ref().err())
        .collect();
    assert!(
        matches!(bad[..], [StoreError::CorruptRow { id, column: "action", .. }] if *id == receipts[1].id),
        "{}: {bad:?}",
        backend.name
    );

    let verdicts = backend.store.verify_all().await.unwrap();
    let broken = verdicts[0].clone().unwrap_err();
    assert_eq!(
        (broken.seq, broken.record_id.as_str()),
        (2, receipts[1].id.as_str())
    );
    assert!(
        matches!(broken.problem, BreakKind::Unreadable { .. }),
        "{broken}"
    );
    assert_eq!(
        verdicts[1].clone().unwrap().records,
        2,
        "the other chain is verified"
    );
}
