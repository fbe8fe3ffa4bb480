//! Job leases on both backends: one holder at a time, renewed by its holder, taken over only
//! once expired, given up only by its holder; two instances racing for it never both win.

use kapsel_store::Leases;

use super::backends::{T0, TestBackend, on_every_backend};

on_every_backend!(
    a_lease_has_one_holder_until_it_expires,
    two_instances_racing_for_a_lease_never_both_get_it,
);

const TTL: i64 = 60_000;

async fn a_lease_has_one_holder_until_it_expires(backend: &TestBackend) {
    let store = &backend.store;
    assert!(store.take_lease("sweep", "a", T0, TTL).await.unwrap());
    assert!(
        !store.take_lease("sweep", "b", T0 + 1, TTL).await.unwrap(),
        "a holds it"
    );
    assert!(
        store.take_lease("sweep", "a", T0 + 2, TTL).await.unwrap(),
        "a renews it"
    );
    assert!(
        !store.take_lease("sweep", "b", T0 + TTL, TTL).await.unwrap(),
        "renewed: not expired yet"
    );
    assert!(
        store.take_lease("other-job", "b", T0, TTL).await.unwrap(),
        "leases are per job"
    );
    assert!(
        store
            .take_lease("sweep", "b", T0 + 2 + TTL, TTL)
            .await
            .unwrap(),
        "expired: b takes it over"
    );
    store.release_lease("sweep", "a").await.unwrap();
    assert!(
        !store
            .take_lease("sweep", "a", T0 + 3 + TTL, TTL)
            .await
            .unwrap(),
        "a cannot release b's lease"
    );
    store.release_lease("sweep", "b").await.unwrap();
    assert!(
        store
            .take_lease("sweep", "a", T0 + 4 + TTL, TTL)
            .await
            .unwrap(),
        "released: free"
    );
}

async fn two_instances_racing_for_a_lease_never_both_get_it(backend: &TestBackend) {
    for round in 0..20 {
        let name = format!("race-{round}");
        let (a, b) = tokio::join!(
            backend.store.take_lease(&name, "a", T0, TTL),
            backend.store.take_lease(&name, "b", T0, TTL)
        );
        let won = [a.unwrap(), b.unwrap()];
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "round {round}: {won:?}"
        );
    }
}
