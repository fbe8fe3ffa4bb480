//! Signing keys and signed heads (`SigningKeys`, `Checkpoints`, `resolve_signing_key`): where
//! the key is kept, rotation closing the old key's validity, checkpoints only when the head
//! moved, and acknowledged gaps kept as appended.

use std::sync::Arc;

use kapsel_core::random::CountingRandom;
use kapsel_core::signing::note::open_checkpoint;
use kapsel_core::signing::{PublicKey, SigningKey};
use kapsel_core::{FixedClock, Secret};
use kapsel_store::{
    Checkpoints, KeyOrigin, SigningKeys, StoredGap, checkpoint_chain, resolve_signing_key,
};

use super::backends::{T0, TestBackend, append_n, on_every_backend, start};

on_every_backend!(
    a_key_is_kept_where_settings_say_and_rotation_keeps_the_old_one_published,
    checkpoints_are_signed_only_when_the_head_moved,
    gaps_are_appended_and_read_back
);

async fn a_key_is_kept_where_settings_say_and_rotation_keeps_the_old_one_published(
    backend: &TestBackend,
) {
    let store = &backend.store;
    let random = CountingRandom::starting_at(1);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("signing-key");
    let (first, origin) =
        resolve_signing_key(store, None, Some(&file), "c1", "kapsel.test", &random)
            .await
            .unwrap();
    assert_eq!(origin, KeyOrigin::File(file.clone()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let (again, _) = resolve_signing_key(store, None, Some(&file), "c1", "kapsel.test", &random)
        .await
        .unwrap();
    assert_eq!(again.public(), first.public());

    let (kept, origin) = resolve_signing_key(store, None, None, "c1", "kapsel.test", &random)
        .await
        .unwrap();
    assert_eq!(origin, KeyOrigin::Database);
    let (kept_again, _) = resolve_signing_key(store, None, None, "c1", "other", &random)
        .await
        .unwrap();
    assert_eq!(
        kept_again.public(),
        kept.public(),
        "the database keeps its key"
    );

    let configured = SigningKey::from_seed("kapsel.test", [4; 32]).unwrap();
    let secret = Secret::new(configured.private_text().unwrap().expose()).unwrap();
    let (from_settings, origin) =
        resolve_signing_key(store, Some(&secret), Some(&file), "c1", "x", &random)
            .await
            .unwrap();
    assert_eq!(
        (from_settings.public(), origin),
        (configured.public(), KeyOrigin::Settings)
    );

    store.register_key(&first, "c1", T0).await.unwrap();
    store.register_key(&first, "c1", T0 + 5).await.unwrap();
    store
        .register_key(&configured, "c1", T0 + 10)
        .await
        .unwrap();
    store.register_key(&kept, "c2", T0 + 20).await.unwrap();
    let published = store.published_keys().await.unwrap();
    let of = |key: &SigningKey| {
        published
            .iter()
            .find(|p| p.public_key == key.public().base64())
            .unwrap()
            .clone()
    };
    assert_eq!(published.len(), 3);
    assert_eq!(
        (of(&first).valid_from_ms, of(&first).valid_until_ms),
        (T0, Some(T0 + 10))
    );
    assert_eq!(of(&configured).valid_until_ms, None);
    assert_eq!(
        of(&kept).valid_until_ms,
        None,
        "another chain's key is left alone"
    );
    assert_eq!(of(&first).key_id, first.public().id_hex());
}

async fn checkpoints_are_signed_only_when_the_head_moved(backend: &TestBackend) {
    let store = &backend.store;
    let key = SigningKey::from_seed("kapsel.test", [7; 32]).unwrap();
    let keys: Vec<PublicKey> = vec![key.public().clone()];
    assert!(
        checkpoint_chain(store, &key, "c", T0)
            .await
            .unwrap()
            .is_none()
    );
    let (ledger, shutdown) = start(backend, "c", Arc::new(FixedClock(T0))).await;
    let receipts = append_n(&ledger, "www", 3).await;
    let made = checkpoint_chain(store, &key, "c", T0 + 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (made.size, made.head_hash.as_str()),
        (3, receipts[2].hash.as_str())
    );
    let (checkpoint, _) = open_checkpoint(&made.note, &keys).unwrap();
    assert_eq!((checkpoint.size, checkpoint.time_ms), (3, T0 + 1));
    assert!(
        checkpoint_chain(store, &key, "c", T0 + 2)
            .await
            .unwrap()
            .is_none()
    );
    append_n(&ledger, "www", 2).await;
    let later = checkpoint_chain(store, &key, "c", T0 + 3)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(later.size, 5);
    assert_eq!(store.latest_checkpoint("c").await.unwrap().unwrap(), later);
    let older = store.checkpoints("c", Some(5), 10).await.unwrap();
    assert_eq!(older, vec![made]);
    shutdown.cancel();
    ledger.stopped().await;
}

async fn gaps_are_appended_and_read_back(backend: &TestBackend) {
    let store = &backend.store;
    let gap = StoredGap {
        chain_id: "c".into(),
        first_missing: 3,
        last_missing: 4,
        acknowledged_at_ms: T0,
        note: "note".into(),
    };
    store.append_gap(&gap).await.unwrap();
    assert!(
        store.append_gap(&gap).await.is_err(),
        "one acknowledgement per gap"
    );
    assert_eq!(store.gaps("c").await.unwrap(), vec![gap]);
    assert!(store.gaps("other").await.unwrap().is_empty());
}
