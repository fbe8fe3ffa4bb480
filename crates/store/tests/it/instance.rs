//! The instance's identity (`InstanceMeta`): which chain it writes.

use kapsel_core::random::CountingRandom;
use kapsel_store::InstanceMeta;

use super::backends::{TestBackend, on_every_backend};

on_every_backend!(chain_id_comes_from_flag_then_data_dir_then_database);

async fn chain_id_comes_from_flag_then_data_dir_then_database(backend: &TestBackend) {
    let store = &backend.store;
    let random = CountingRandom::starting_at(1);
    assert_eq!(
        store
            .resolve_chain_id(Some("edge-1"), None, &random)
            .await
            .unwrap(),
        "edge-1"
    );
    let dir = tempfile::tempdir().unwrap();
    let from_dir = store
        .resolve_chain_id(None, Some(dir.path()), &random)
        .await
        .unwrap();
    assert_eq!(
        store
            .resolve_chain_id(None, Some(dir.path()), &random)
            .await
            .unwrap(),
        from_dir
    );
    let from_db = store.resolve_chain_id(None, None, &random).await.unwrap();
    assert_eq!(
        store.resolve_chain_id(None, None, &random).await.unwrap(),
        from_db
    );
    assert_ne!(from_db, from_dir);
}
