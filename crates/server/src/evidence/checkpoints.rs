//! Signed checkpoints: the routes that publish them and the task that makes them. The task
//! ticks at the configured interval (tokio's clock: only the tick), and signs a chain's head
//! when it moved since the last checkpoint, stamped with the injected [`Clock`]; the server
//! makes a last one on shutdown, once the writer has committed its queue.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kapsel_core::Clock;
use kapsel_core::signing::SigningKey;
use kapsel_store::{Checkpoints, LedgerVerify, Store, StoredCheckpoint, checkpoint_chain};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::EvidenceState;
use crate::error::ApiError;

/// How many checkpoints one page of history holds.
const PAGE: i64 = 100;

#[derive(Debug, Serialize)]
pub struct CheckpointEntry {
    pub chain_id: String,
    pub size: i64,
    pub head_hash: String,
    pub signed_at_ms: i64,
    pub key_id: String,
    /// The signed note (C2SP tlog-checkpoint), byte for byte as `/v1/checkpoints/{chain}`.
    pub note: String,
}

impl From<StoredCheckpoint> for CheckpointEntry {
    fn from(c: StoredCheckpoint) -> Self {
        CheckpointEntry {
            chain_id: c.chain_id,
            size: c.size,
            head_hash: c.head_hash,
            signed_at_ms: c.signed_at_ms,
            key_id: c.key_id,
            note: c.note,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CheckpointList {
    pub checkpoints: Vec<CheckpointEntry>,
}

/// `GET /v1/checkpoints/{chain}`: the newest checkpoint as the plain signed note.
pub async fn get_latest(
    State(state): State<Arc<EvidenceState>>,
    Path(chain): Path<String>,
) -> Result<Response, ApiError> {
    let latest = state.store.latest_checkpoint(&chain).await?;
    let latest = latest.ok_or_else(|| ApiError::NotFound {
        what: format!("a checkpoint of chain {chain}"),
    })?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        latest.note,
    )
        .into_response())
}

/// `GET /v1/checkpoints`: the newest checkpoint of every chain.
pub async fn get_latest_of_every_chain(
    State(state): State<Arc<EvidenceState>>,
) -> Result<Json<CheckpointList>, ApiError> {
    let mut checkpoints = Vec::new();
    for chain in state.store.chain_ids().await? {
        if let Some(latest) = state.store.latest_checkpoint(&chain).await? {
            checkpoints.push(latest.into());
        }
    }
    Ok(Json(CheckpointList { checkpoints }))
}

#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    /// Only checkpoints smaller than this size (the last `size` of the previous page).
    pub before: Option<i64>,
}

/// `GET /v1/checkpoints/{chain}/history?before=SIZE`: newest first, a page at a time.
pub async fn get_history(
    State(state): State<Arc<EvidenceState>>,
    Path(chain): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Result<Json<CheckpointList>, ApiError> {
    let page = state.store.checkpoints(&chain, query.before, PAGE).await?;
    Ok(Json(CheckpointList {
        checkpoints: page.into_iter().map(Into::into).collect(),
    }))
}

/// Signs `chain_id`'s head every `interval` while it moves, until `shutdown`.
pub async fn run(
    store: Store,
    key: Arc<SigningKey>,
    chain_id: String,
    clock: Arc<dyn Clock>,
    interval: Duration,
    shutdown: CancellationToken,
) {
    let mut every = tokio::time::interval(interval.max(Duration::from_millis(10)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = every.tick() => checkpoint_now(&store, &key, &chain_id, clock.as_ref()).await,
        }
    }
}

/// One checkpoint of `chain_id` if its head moved; failures are logged, never fatal.
pub async fn checkpoint_now(store: &Store, key: &SigningKey, chain_id: &str, clock: &dyn Clock) {
    match checkpoint_chain(store, key, chain_id, clock.now_ms()).await {
        Ok(Some(made)) => {
            tracing::info!(chain = %chain_id, size = made.size, "checkpoint signed");
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(chain = %chain_id, %error, "cannot sign a checkpoint"),
    }
}
