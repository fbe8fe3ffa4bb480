//! Pruning the ledger (the retention issue's consent proof): only the longest prefix of records
//! that nobody relies on and whose proof period has passed is removed, in one transaction with
//! its signed seal; the chain verifies from the seal, an edit of a remaining record is still
//! found, and a prune with nothing new to remove changes nothing.

use std::sync::Arc;

use kapsel_core::ManualClock;
use kapsel_core::calendar::add_months_to_instant;
use kapsel_core::consent::chain::BreakKind;
use kapsel_core::consent::{ConsentAction, Lifetimes, Receipt};
use kapsel_core::privacy::duration::Duration;
use kapsel_core::signing::SigningKey;
use kapsel_core::signing::note::chain_origin;
use kapsel_core::signing::seal::SealNote;
use kapsel_store::{
    Ledger, LedgerAppend, LedgerPrune, LedgerRead, LedgerVerify, PrunePlan, PruneStop, SealRefused,
    Store, StoredSeal,
};

use super::backends::{
    T0, TestBackend, choice, context, lifetimes, new_id, on_every_backend, start,
};

on_every_backend!(prune_removes_exactly_the_prefix_no_longer_needed_and_seals_it);

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn key() -> SigningKey {
    SigningKey::from_seed("kapsel.test", [3; 32]).unwrap()
}

fn three_years() -> Duration {
    Duration::parse("3 years").unwrap()
}

async fn append_at(
    ledger: &Ledger,
    clock: &ManualClock,
    at: i64,
    action: ConsentAction,
    previous: Option<&Receipt>,
    lifetimes: Lifetimes,
) -> Receipt {
    clock.set(at);
    let mut next = choice("www", action, action != ConsentAction::RejectAll);
    next.previous_receipt = previous.map(|r| r.id.clone());
    ledger
        .append(new_id(), next, context(), lifetimes)
        .await
        .unwrap()
}

/// Signs the seal of `plan`'s prefix at `now` and removes it.
async fn prune(
    store: &Store,
    plan: &PrunePlan,
    now: i64,
) -> (StoredSeal, Result<u64, SealRefused>) {
    let prefix = plan.prefix.as_ref().expect("something to remove");
    let note = SealNote {
        origin: chain_origin("kapsel.test", &plan.chain_id),
        size: prefix.size,
        head_hash: prefix.head_hash.clone(),
        proof_period: "3 years".into(),
        time_ms: now,
    };
    let seal = StoredSeal {
        chain_id: plan.chain_id.clone(),
        size: prefix.size,
        head_hash: prefix.head_hash.clone(),
        sealed_at_ms: now,
        key_id: key().public().id_hex(),
        note: note.sign(&key()),
    };
    let removed = store.remove_sealed_prefix(&seal).await.unwrap();
    (seal, removed)
}

async fn remaining_seqs(store: &Store) -> Vec<i64> {
    store
        .chain_page("p", 0, 100)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect()
}

async fn receipt_heads(store: &Store) -> i64 {
    let sql = "SELECT COUNT(*) FROM receipt_heads";
    match store {
        Store::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        Store::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

async fn prune_removes_exactly_the_prefix_no_longer_needed_and_seals_it(backend: &TestBackend) {
    let store = &backend.store;
    let clock = Arc::new(ManualClock::at(T0));
    let (ledger, shutdown) = start(backend, "p", clock.clone()).await;
    let long = Lifetimes {
        accept: Duration::parse("10 years").unwrap(),
        ..lifetimes()
    };
    // 1: accepted, replaced by 3 a day later. 2: refused (6 months), never replaced.
    // 3: the current state of 1's receipt, granted for 10 years: still relied on.
    // 4: refused, withdrawn by 5. 6: the chain's head.
    let first = append_at(
        &ledger,
        &clock,
        T0,
        ConsentAction::AcceptAll,
        None,
        lifetimes(),
    )
    .await;
    let refused = append_at(
        &ledger,
        &clock,
        T0 + HOUR,
        ConsentAction::RejectAll,
        None,
        lifetimes(),
    )
    .await;
    let current = append_at(
        &ledger,
        &clock,
        T0 + DAY,
        ConsentAction::AcceptAll,
        Some(&first),
        long,
    )
    .await;
    let other = append_at(
        &ledger,
        &clock,
        T0 + 2 * DAY,
        ConsentAction::RejectAll,
        None,
        lifetimes(),
    )
    .await;
    append_at(
        &ledger,
        &clock,
        T0 + 3 * DAY,
        ConsentAction::Withdraw,
        Some(&other),
        lifetimes(),
    )
    .await;
    append_at(
        &ledger,
        &clock,
        T0 + 4 * DAY,
        ConsentAction::RejectAll,
        None,
        lifetimes(),
    )
    .await;
    shutdown.cancel();
    ledger.stopped().await;
    let name = backend.name;

    // Three years and a day after 1 was replaced, 1 may go; 2 expired after six months, so it
    // is needed until three years after that: still needed.
    let early = add_months_to_instant(T0, 36).unwrap() + 2 * DAY;
    let plan = store
        .plan_prune("p", three_years(), early, 10_000)
        .await
        .unwrap();
    let prefix = plan.prefix.as_ref().unwrap();
    assert_eq!(
        (prefix.first_seq, prefix.size, prefix.records),
        (1, 1, 1),
        "{name}: {plan:?}"
    );
    let needed_until = add_months_to_instant(refused.expires_at_ms, 36).unwrap();
    assert_eq!(
        plan.stop,
        PruneStop::Needed {
            seq: 2,
            id: refused.id.clone(),
            until_ms: needed_until
        },
        "{name}"
    );

    // Seven months later, 2 may go as well, but 3 is still relied on: it and everything after
    // it stay, although 4 and 5 are past their proof period.
    let now = add_months_to_instant(T0, 43).unwrap();
    let plan = store
        .plan_prune("p", three_years(), now, 10_000)
        .await
        .unwrap();
    let prefix = plan.prefix.clone().unwrap();
    assert_eq!(
        (prefix.first_seq, prefix.size, prefix.records),
        (1, 2, 2),
        "{name}: {plan:?}"
    );
    assert_eq!(prefix.head_hash, refused.hash);
    assert!(matches!(&plan.stop, PruneStop::Needed { seq: 3, id, .. } if *id == current.id));
    let (seal, removed) = prune(store, &plan, now).await;
    assert_eq!(removed, Ok(2), "{name}");
    assert_eq!(remaining_seqs(store).await, vec![3, 4, 5, 6], "{name}");
    assert_eq!(
        store.seals("p").await.unwrap(),
        vec![seal.clone()],
        "{name}"
    );
    let opened = SealNote::open(&seal.note, &[key().public().clone()])
        .unwrap()
        .0;
    assert_eq!(
        (opened.size, opened.head_hash.as_str()),
        (2, refused.hash.as_str())
    );

    // The chain verifies from the seal, not without it.
    let summary = store
        .verify_chain_sealed("p", Some(opened.sealed()), Vec::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((summary.records, summary.head_seq), (4, 6), "{name}");
    let broken = store.verify_chain("p").await.unwrap().unwrap_err();
    assert_eq!(broken.problem, BreakKind::SeqGap { expected: 1 }, "{name}");
    // The receipt whose first record went still answers its current state.
    assert_eq!(
        store
            .latest_for_receipt(&current.id)
            .await
            .unwrap()
            .map(|r| r.id),
        Some(current.id.clone()),
        "{name}"
    );
    assert!(store.get_record(&first.id).await.unwrap().is_none());

    // A second prune at the same time finds nothing new and changes nothing.
    let again = store
        .plan_prune("p", three_years(), now, 10_000)
        .await
        .unwrap();
    assert_eq!(again.prefix, None, "{name}");
    assert_eq!(again.after_size, 2);
    assert_eq!(
        store.remove_sealed_prefix(&seal).await.unwrap(),
        Err(SealRefused::NotBeyondTheSeal {
            chain_id: "p".into(),
            sealed: 2
        })
    );
    assert_eq!(remaining_seqs(store).await, vec![3, 4, 5, 6]);
    assert_eq!(store.seals("p").await.unwrap().len(), 1);

    // A seal that does not fit the records, or that would take the head, removes nothing.
    let wrong = StoredSeal {
        size: 4,
        head_hash: "ab".repeat(32),
        ..seal.clone()
    };
    assert!(matches!(
        store.remove_sealed_prefix(&wrong).await.unwrap(),
        Err(SealRefused::HeadNotFound { size: 4, .. })
    ));
    let head = store.chain_page("p", 5, 1).await.unwrap().remove(0);
    let whole = StoredSeal {
        size: 6,
        head_hash: head.hash.clone(),
        ..seal.clone()
    };
    assert!(matches!(
        store.remove_sealed_prefix(&whole).await.unwrap(),
        Err(SealRefused::ReachesTheHead { size: 6, .. })
    ));
    assert_eq!(remaining_seqs(store).await, vec![3, 4, 5, 6]);

    // Long after 3 expired, everything but the head goes, under a second seal; the lineages
    // of which nothing is left lose their head rows.
    let late = add_months_to_instant(T0, 12 * 20).unwrap();
    let plan = store
        .plan_prune("p", three_years(), late, 10_000)
        .await
        .unwrap();
    assert_eq!(plan.stop, PruneStop::ChainHead { seq: 6 });
    let (second, removed) = prune(store, &plan, late).await;
    assert_eq!(removed, Ok(3), "{name}");
    assert_eq!(remaining_seqs(store).await, vec![6]);
    assert_eq!(store.seals("p").await.unwrap(), vec![seal, second.clone()]);
    assert_eq!(receipt_heads(store).await, 0, "{name}");
    let sealed = SealNote::read_unverified(&second.note).unwrap().sealed();
    let summary = store
        .verify_chain_sealed("p", Some(sealed.clone()), Vec::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((summary.records, summary.head_seq), (1, 6));

    // Editing the remaining record is found, seal or not.
    backend
        .raw("UPDATE consent_records SET categories = '{\"analytics\":true}' WHERE chain_id = 'p' AND seq = 6")
        .await;
    let broken = store
        .verify_chain_sealed("p", Some(sealed), Vec::new())
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(broken.seq, 6, "{name}");
    assert!(
        matches!(broken.problem, BreakKind::HashMismatch { .. }),
        "{broken}"
    );
}

on_every_backend!(the_writer_resumes_after_a_prune);

async fn the_writer_resumes_after_a_prune(backend: &TestBackend) {
    let clock = Arc::new(ManualClock::at(T0));
    let (ledger, shutdown) = start(backend, "p", clock.clone()).await;
    for day in 0..3 {
        append_at(
            &ledger,
            &clock,
            T0 + day * DAY,
            ConsentAction::RejectAll,
            None,
            lifetimes(),
        )
        .await;
    }
    shutdown.cancel();
    ledger.stopped().await;
    let late = add_months_to_instant(T0, 12 * 10).unwrap();
    let plan = backend
        .store
        .plan_prune("p", three_years(), late, 10_000)
        .await
        .unwrap();
    let (seal, removed) = prune(&backend.store, &plan, late).await;
    assert_eq!(removed, Ok(2));
    // The writer starts again on the pruned chain and links after the head that stayed.
    clock.set(late);
    let (ledger, shutdown) = start(backend, "p", clock.clone()).await;
    append_at(
        &ledger,
        &clock,
        late,
        ConsentAction::RejectAll,
        None,
        lifetimes(),
    )
    .await;
    shutdown.cancel();
    ledger.stopped().await;
    let sealed = SealNote::read_unverified(&seal.note).unwrap().sealed();
    let summary = backend
        .store
        .verify_chain_sealed("p", Some(sealed), Vec::new())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (summary.records, summary.head_seq),
        (2, 4),
        "{}",
        backend.name
    );
}
