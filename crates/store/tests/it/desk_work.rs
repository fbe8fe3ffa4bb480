//! What carrying out a request keeps, on both backends: an access bundle is returned until it
//! expires and replaced (never doubled) when put again, the sweep removes only expired ones;
//! the suppression list adds an entry once, finds it by any of a subject's hashes and only
//! for its activity.

use kapsel_core::deadline::TargetRule;
use kapsel_core::desk::{NewCase, Right};
use kapsel_store::{Bundles, CaseStore, StoredBundle, Suppression, Suppressions};

use super::backends::{T0, TestBackend, new_id, on_every_backend};

on_every_backend!(
    a_bundle_is_kept_until_it_expires_and_replaced_when_put_again,
    a_suppression_is_listed_once_and_found_only_for_its_activity,
);

const DAY: i64 = 24 * 60 * 60 * 1000;

async fn a_case(backend: &TestBackend, right: Right) -> String {
    let request = NewCase {
        id: new_id(),
        site: "www".into(),
        right,
        email: "kari.nordmann@example.no".into(),
        identifiers: Default::default(),
        received_ms: T0,
        actor: "requester".into(),
        lang: "nb".into(),
    };
    let (case, _) = backend
        .store
        .open_case(request, TargetRule::SameDate)
        .await
        .unwrap();
    case.id
}

async fn a_bundle_is_kept_until_it_expires_and_replaced_when_put_again(backend: &TestBackend) {
    let store = &backend.store;
    let case = a_case(backend, Right::Access).await;
    let other = a_case(backend, Right::Portability).await;
    let bundle = |case_id: &str, bytes: &[u8], expires_ms| StoredBundle {
        case_id: case_id.to_owned(),
        sha256: format!("{:0>64}", bytes.len()),
        bytes: bytes.to_vec(),
        created_ms: T0,
        expires_ms,
    };
    store
        .put_bundle(&bundle(&case, b"first", T0 + 7 * DAY))
        .await
        .unwrap();
    store
        .put_bundle(&bundle(&case, b"second\0zip", T0 + 7 * DAY))
        .await
        .unwrap();
    store
        .put_bundle(&bundle(&other, b"other", T0 + DAY))
        .await
        .unwrap();

    let kept = store.bundle(&case, T0).await.unwrap().unwrap();
    assert_eq!(
        kept.bytes, b"second\0zip",
        "the second put replaces the first"
    );
    assert_eq!(
        store.bundle(&other, T0 + DAY).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(store.delete_expired_bundles(T0 + DAY).await.unwrap(), 1);
    assert_eq!(store.delete_expired_bundles(T0 + DAY).await.unwrap(), 0);
    assert!(store.bundle(&case, T0 + DAY).await.unwrap().is_some());
}

async fn a_suppression_is_listed_once_and_found_only_for_its_activity(backend: &TestBackend) {
    let store = &backend.store;
    let case = a_case(backend, Right::Objection).await;
    let entry = Suppression {
        subject_hash: "a".repeat(64),
        activity: "newsletter".into(),
        kind: "objection".into(),
        case_id: case.clone(),
        created_ms: T0,
    };
    assert!(store.suppress(&entry).await.unwrap());
    assert!(
        !store.suppress(&entry).await.unwrap(),
        "the rerun adds nothing"
    );
    let hashes = vec!["b".repeat(64), "a".repeat(64)];
    assert_eq!(
        store.suppressed(&hashes, "newsletter").await.unwrap(),
        std::slice::from_ref(&entry)
    );
    assert_eq!(store.suppressed(&hashes, "orders").await.unwrap(), []);
    assert_eq!(
        store
            .suppressed(&["c".repeat(64)], "newsletter")
            .await
            .unwrap(),
        []
    );
    assert_eq!(store.suppressions_of_case(&case).await.unwrap(), [entry]);
}
