//! Published revisions (`RevisionStore`): kept once, first time and document win, listed in
//! order per site.

use kapsel_store::RevisionStore;

use super::backends::{T0, TestBackend, on_every_backend};

on_every_backend!(published_revisions_are_kept_once_in_order);

async fn published_revisions_are_kept_once_in_order(backend: &TestBackend) {
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
}
