//! `GET /v1/receipts/{id}`: the current state of a receipt — the latest record in the chain of
//! `previous_receipt` links that starts at `id` (a change of mind or a withdrawal is a new record
//! naming the earlier receipt; nothing is ever updated in place).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use kapsel_core::consent::{ConsentRecord, is_receipt_id};
use kapsel_core::signing::receipt::{ReceiptSignature, receipt_text};
use kapsel_store::LedgerRead;
use serde::Serialize;

use crate::error::ApiError;
use crate::state::ConsentState;

/// What a visitor (or the banner) can learn about a receipt.
#[derive(Debug, Serialize)]
pub struct ReceiptState {
    /// The receipt asked about.
    pub id: String,
    /// The receipt of the latest record in its chain (equal to `id` when nothing replaced it).
    pub current_id: String,
    pub hash: String,
    pub site: String,
    pub revision: String,
    pub language: String,
    pub action: String,
    pub categories: std::collections::BTreeMap<String, bool>,
    pub services: std::collections::BTreeMap<String, bool>,
    pub gpc: bool,
    pub recorded_at_ms: i64,
    pub expires_at_ms: i64,
    /// The server's signature of the current record's receipt, made when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<ReceiptSignature>,
}

impl ReceiptState {
    fn of(id: String, latest: ConsentRecord) -> Self {
        ReceiptState {
            id,
            current_id: latest.id,
            hash: latest.hash,
            site: latest.choice.site,
            revision: latest.choice.revision,
            language: latest.choice.language.0,
            action: latest.choice.action.as_str().to_owned(),
            categories: latest.choice.categories,
            services: latest.choice.services,
            gpc: latest.choice.gpc,
            recorded_at_ms: latest.recorded_at_ms,
            expires_at_ms: latest.expires_at_ms,
            signature: None,
        }
    }
}

/// `GET /v1/receipts/{id}`.
pub async fn get_receipt(
    State(state): State<Arc<ConsentState>>,
    Path(id): Path<String>,
) -> Result<Json<ReceiptState>, ApiError> {
    if !is_receipt_id(&id) {
        return Err(ApiError::field(
            "id",
            "must be a receipt id (26 characters of Crockford base32)",
        ));
    }
    let latest = state
        .records
        .latest_for_receipt(&id)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            what: format!("receipt {id}"),
        })?;
    let signature = state.signer.sign(receipt_text(&latest)).await;
    let mut body = ReceiptState::of(id, latest);
    body.signature = signature;
    Ok(Json(body))
}
