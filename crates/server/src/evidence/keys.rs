//! `GET /.well-known/kapsel/keys`: every key that ever signed here, with its validity period,
//! so that a receipt or a checkpoint signed by a retired key still verifies.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use kapsel_core::signing::PublicKey;
use kapsel_store::SigningKeys;
use serde::Serialize;

use super::EvidenceState;
use crate::error::ApiError;

#[derive(Debug, Serialize)]
pub struct KeyList {
    pub keys: Vec<KeyEntry>,
}

#[derive(Debug, Serialize)]
pub struct KeyEntry {
    /// 8 hex digits: the signed-note key id, also in every receipt signature.
    pub key_id: String,
    pub name: String,
    pub algorithm: &'static str,
    /// base64 of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// `<name>+<key id>+<base64(0x01 || key)>`, as Go's sumdb/note and C2SP tools read it.
    pub verifier_key: String,
    /// The chain of the instance that signs with it.
    pub chain_id: String,
    pub valid_from_ms: i64,
    /// `null` while the key is in use.
    pub valid_until_ms: Option<i64>,
}

pub async fn get_keys(State(state): State<Arc<EvidenceState>>) -> Result<Json<KeyList>, ApiError> {
    let published = state.store.published_keys().await?;
    let keys = published
        .into_iter()
        .filter_map(|key| {
            let public = PublicKey::from_base64(&key.name, &key.public_key).ok()?;
            Some(KeyEntry {
                key_id: public.id_hex(),
                verifier_key: public.verifier_key(),
                name: key.name,
                algorithm: kapsel_core::signing::receipt::ALGORITHM,
                public_key: key.public_key,
                chain_id: key.holder,
                valid_from_ms: key.valid_from_ms,
                valid_until_ms: key.valid_until_ms,
            })
        })
        .collect();
    Ok(Json(KeyList { keys }))
}
