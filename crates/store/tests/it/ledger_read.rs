//! Reading (`LedgerRead`): a receipt's lineage and current state, long lineages and branches
//! in one query, and exports filtered by site and time, paged in order.

use std::sync::Arc;

use futures::TryStreamExt;
use kapsel_core::ManualClock;
use kapsel_core::consent::{ConsentAction, Receipt};
use kapsel_store::{ExportFilter, Ledger, LedgerAppend, LedgerRead};

use super::backends::{
    T0, TestBackend, append_n, choice, context, lifetimes, new_id, on_every_backend, start,
};

on_every_backend!(
    a_withdrawal_is_a_new_record_and_the_receipt_shows_it,
    a_long_lineage_is_read_in_order_from_any_receipt,
    a_lineage_follows_the_newest_successor_of_each_record,
    export_filters_by_site_and_time_and_pages_in_order,
);

async fn a_withdrawal_is_a_new_record_and_the_receipt_shows_it(backend: &TestBackend) {
    let (ledger, shutdown) = start(backend, "c1", Arc::new(ManualClock::at(T0))).await;
    let first = ledger
        .append(
            new_id(),
            choice("www", ConsentAction::AcceptAll, true),
            context(),
            lifetimes(),
        )
        .await
        .unwrap();
    let mut withdrawal = choice("www", ConsentAction::Withdraw, false);
    withdrawal.previous_receipt = Some(first.id.clone());
    let second = ledger
        .append(new_id(), withdrawal, context(), lifetimes())
        .await
        .unwrap();

    let current = backend
        .store
        .latest_for_receipt(&first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.id, second.id, "{}", backend.name);
    assert_eq!(current.choice.action, ConsentAction::Withdraw);
    let lineage = backend.store.receipt_lineage(&first.id).await.unwrap();
    assert_eq!(
        lineage.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [&first.id, &second.id]
    );
    // The original record is unchanged.
    let original = backend.store.get_record(&first.id).await.unwrap().unwrap();
    assert_eq!(original.choice.action, ConsentAction::AcceptAll);
    assert!(
        backend
            .store
            .latest_for_receipt("00000000000000000000000000")
            .await
            .unwrap()
            .is_none()
    );
    // Acceptance lasts 12 months, the withdrawal 6 (the defaults).
    assert_eq!(first.expires_at_ms - first.recorded_at_ms, 365 * 86_400_000);
    assert_eq!(
        second.expires_at_ms - second.recorded_at_ms,
        181 * 86_400_000
    );
    shutdown.cancel();
    ledger.stopped().await;
}

/// Appends a choice on `www` that names `previous` as the receipt it replaces.
async fn replace(ledger: &Ledger, previous: Option<&Receipt>, analytics: bool) -> Receipt {
    let mut next = choice("www", ConsentAction::Custom, analytics);
    next.previous_receipt = previous.map(|receipt| receipt.id.clone());
    ledger
        .append(new_id(), next, context(), lifetimes())
        .await
        .unwrap()
}

fn ids<'a>(records: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    records.into_iter().map(String::from).collect()
}

async fn a_long_lineage_is_read_in_order_from_any_receipt(backend: &TestBackend) {
    let clock = Arc::new(ManualClock::at(T0));
    let (ledger, shutdown) = start(backend, "c1", clock.clone()).await;
    // Unrelated records in between, so that the lineage is not simply the chain.
    append_n(&ledger, "www", 3).await;
    let mut receipts: Vec<Receipt> = Vec::new();
    for hop in 0..50 {
        clock.advance(1_000);
        let next = replace(&ledger, receipts.last(), hop % 2 == 0).await;
        receipts.push(next);
        append_n(&ledger, "shop", 1).await;
    }
    let every: Vec<String> = ids(receipts.iter().map(|r| r.id.as_str()));

    let lineage = backend
        .store
        .receipt_lineage(&receipts[0].id)
        .await
        .unwrap();
    assert_eq!(
        ids(lineage.iter().map(|r| r.id.as_str())),
        every,
        "{}: the whole lineage, oldest first",
        backend.name
    );
    assert!(
        lineage
            .iter()
            .zip(&receipts)
            .all(|(record, receipt)| record.hash == receipt.hash),
        "{}",
        backend.name
    );

    let middle = &receipts[20];
    let from_middle = backend.store.receipt_lineage(&middle.id).await.unwrap();
    assert_eq!(from_middle[0].id, middle.id, "{}", backend.name);
    assert_eq!(
        ids(from_middle.iter().map(|r| r.id.as_str())),
        every[20..],
        "{}: the lineage of a middle receipt starts at it",
        backend.name
    );
    let last = receipts.last().unwrap();
    let current = backend
        .store
        .latest_for_receipt(&middle.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.id, last.id, "{}", backend.name);
    let from_last = backend.store.receipt_lineage(&last.id).await.unwrap();
    assert_eq!(
        ids(from_last.iter().map(|r| r.id.as_str())),
        ids([last.id.as_str()]),
        "{}: nothing replaced the last receipt",
        backend.name
    );
    shutdown.cancel();
    ledger.stopped().await;
}

async fn a_lineage_follows_the_newest_successor_of_each_record(backend: &TestBackend) {
    // a <- b (older), a <- c (newer) <- d; then two successors of c at the same instant on
    // chains "alpha" and "beta": the later chain id wins the tie, as the export orders them.
    let clock = Arc::new(ManualClock::at(T0));
    let (alpha, stop_alpha) = start(backend, "alpha", clock.clone()).await;
    let (beta, stop_beta) = start(backend, "beta", clock.clone()).await;
    let a = replace(&alpha, None, true).await;
    clock.advance(1_000);
    let b = replace(&alpha, Some(&a), false).await;
    clock.advance(1_000);
    let c = replace(&alpha, Some(&a), true).await;
    clock.advance(1_000);
    let d = replace(&alpha, Some(&b), true).await;
    clock.advance(1_000);
    let on_alpha = replace(&alpha, Some(&c), false).await;
    let on_beta = replace(&beta, Some(&c), false).await;
    assert_eq!(on_alpha.recorded_at_ms, on_beta.recorded_at_ms);

    let lineage = backend.store.receipt_lineage(&a.id).await.unwrap();
    assert_eq!(
        ids(lineage.iter().map(|r| r.id.as_str())),
        ids([a.id.as_str(), c.id.as_str(), on_beta.id.as_str()]),
        "{}",
        backend.name
    );
    let from_b = backend.store.receipt_lineage(&b.id).await.unwrap();
    assert_eq!(
        ids(from_b.iter().map(|r| r.id.as_str())),
        ids([b.id.as_str(), d.id.as_str()]),
        "{}",
        backend.name
    );
    for token in [stop_alpha, stop_beta] {
        token.cancel();
    }
    alpha.stopped().await;
    beta.stopped().await;
}

async fn export_filters_by_site_and_time_and_pages_in_order(backend: &TestBackend) {
    let clock = Arc::new(ManualClock::at(T0));
    let (ledger, shutdown) = start(backend, "c1", clock.clone()).await;
    for hour in 0..6 {
        clock.set(T0 + hour * 3_600_000);
        append_n(&ledger, "www", 2).await;
        append_n(&ledger, "shop", 1).await;
    }
    let store = &backend.store;
    let all: Vec<_> = store
        .export(ExportFilter::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 18, "{}", backend.name);
    assert!(
        all.windows(2)
            .all(|w| (w[0].recorded_at_ms, w[0].seq) < (w[1].recorded_at_ms, w[1].seq))
    );

    let filter = ExportFilter {
        site: Some("www".into()),
        since_ms: Some(T0 + 3_600_000),
        until_ms: Some(T0 + 3 * 3_600_000),
    };
    let some: Vec<_> = store.export(filter.clone()).try_collect().await.unwrap();
    assert_eq!(some.len(), 4, "{}", backend.name);
    assert!(some.iter().all(|r| r.choice.site == "www"
        && r.recorded_at_ms >= T0 + 3_600_000
        && r.recorded_at_ms < T0 + 3 * 3_600_000));

    let page1 = store
        .export_page(&ExportFilter::default(), None, 7)
        .await
        .unwrap();
    let page2 = store
        .export_page(&ExportFilter::default(), page1.last(), 7)
        .await
        .unwrap();
    let page3 = store
        .export_page(&ExportFilter::default(), page2.last(), 7)
        .await
        .unwrap();
    assert_eq!((page1.len(), page2.len(), page3.len()), (7, 7, 4));
    let paged: Vec<_> = [page1, page2, page3]
        .concat()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(paged, all.iter().map(|r| r.id.clone()).collect::<Vec<_>>());
    shutdown.cancel();
    ledger.stopped().await;
}
