//! The conformance story, the same on every backend: migrate twice, append concurrently, verify,
//! tamper and get caught, read receipts, export with filters, keep published revisions.

use std::collections::HashSet;
use std::sync::Arc;

use futures::TryStreamExt;
use kapsel_core::consent::chain::BreakKind;
use kapsel_core::consent::{ConsentAction, Receipt};
use kapsel_store::{ExportFilter, Ledger};
use tokio_util::sync::CancellationToken;

use super::backends::{HandClock, TestBackend, backends, choice, context, lifetimes, new_id};

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

async fn start(
    backend: &TestBackend,
    chain: &str,
    clock: Arc<HandClock>,
) -> (Ledger, CancellationToken) {
    let shutdown = CancellationToken::new();
    let ledger = Ledger::start(backend.store.clone(), chain.into(), clock, shutdown.clone())
        .await
        .unwrap();
    (ledger, shutdown)
}

async fn append_n(ledger: &Ledger, site: &str, n: usize) -> Vec<Receipt> {
    let mut receipts = Vec::new();
    for i in 0..n {
        let choice = choice(site, ConsentAction::Custom, i % 2 == 0);
        receipts.push(
            ledger
                .append(new_id(), choice, context(), lifetimes())
                .await
                .unwrap(),
        );
    }
    receipts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_twice_is_harmless_and_keeps_data() {
    for backend in backends().await {
        let (ledger, shutdown) = start(&backend, "c1", HandClock::at(T0)).await;
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
        backend.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_form_one_intact_chain() {
    for backend in backends().await {
        let (ledger, shutdown) = start(&backend, "busy", HandClock::at(T0)).await;
        let tasks: Vec<_> = (0..48)
            .map(|task| {
                let ledger = ledger.clone();
                tokio::spawn(
                    async move { append_n(&ledger, &format!("site{}", task % 3), 25).await },
                )
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
        backend.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_changed_by_raw_sql_is_named_by_verify() {
    for backend in backends().await {
        let (ledger, shutdown) = start(&backend, "c1", HandClock::at(T0)).await;
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
        backend.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_rows_are_detected_in_the_middle_and_at_the_end() {
    for backend in backends().await {
        let (ledger, shutdown) = start(&backend, "c1", HandClock::at(T0)).await;
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
        backend.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_is_a_new_record_and_the_receipt_shows_it() {
    for backend in backends().await {
        let (ledger, shutdown) = start(&backend, "c1", HandClock::at(T0)).await;
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
        backend.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_filters_by_site_and_time_and_pages_in_order() {
    for backend in backends().await {
        let clock = HandClock::at(T0);
        let (ledger, shutdown) = start(&backend, "c1", clock.clone()).await;
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
        backend.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_resumes_its_chain_and_several_chains_verify() {
    for backend in backends().await {
        let (ledger, shutdown) = start(&backend, "alpha", HandClock::at(T0)).await;
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
            Err(kapsel_store::LedgerError::ShuttingDown)
        ));

        let (alpha, stop_alpha) = start(&backend, "alpha", HandClock::at(T0 + 1)).await;
        let (beta, stop_beta) = start(&backend, "beta", HandClock::at(T0 + 1)).await;
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
        backend.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_revisions_are_kept_once_in_order() {
    for backend in backends().await {
        let store = &backend.store;
        assert!(
            store
                .publish_revision("www", "r1", T0, "{\"v\":1}")
                .await
                .unwrap()
        );
        assert!(
            !store
                .publish_revision("www", "r1", T0 + 5, "{\"v\":\"other\"}")
                .await
                .unwrap()
        );
        assert!(
            store
                .publish_revision("www", "r2", T0 + 10, "{\"v\":2}")
                .await
                .unwrap()
        );
        assert!(
            store
                .publish_revision("shop", "r9", T0, "{}")
                .await
                .unwrap()
        );
        assert!(store.revision_known("www", "r1").await.unwrap());
        assert!(!store.revision_known("www", "r9").await.unwrap());
        let revisions = store.revisions("www").await.unwrap();
        let listed: Vec<_> = revisions
            .iter()
            .map(|r| {
                (
                    r.revision.as_str(),
                    r.first_published_ms,
                    r.document.as_str(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [("r1", T0, "{\"v\":1}"), ("r2", T0 + 10, "{\"v\":2}")],
            "{}",
            backend.name
        );
        backend.finish().await;
    }
}
