//! Signed statements about each chain's head, kept beside the ledger and published: the
//! [`Checkpoints`] trait, implemented by [`Store`].
//!
//! - A CHECKPOINT is the chain's (chain id, size, head hash, time) in a signed note (C2SP
//!   tlog-checkpoint; `kapsel_core::signing::note`), made by the server at a fixed interval
//!   when the head moved and on shutdown ([`checkpoint_chain`]), and by `kapsel ledger export`
//!   for the export's trailer.
//! - A GAP is `kapsel ledger repair`'s signed acknowledgement that records seq A..B of a chain
//!   are missing: appended, never replacing anything.

mod sql;

use std::future::Future;

use kapsel_core::signing::SigningKey;
use kapsel_core::signing::note::{Checkpoint, chain_origin};

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// A checkpoint as kept in `ledger_checkpoints`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub chain_id: String,
    pub size: i64,
    /// The head hash, 64 hex digits as the ledger writes it.
    pub head_hash: String,
    pub signed_at_ms: i64,
    pub key_id: String,
    /// The signed note, exactly as published.
    pub note: String,
}

/// A gap acknowledged by `kapsel ledger repair`, as kept in `ledger_gaps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGap {
    pub chain_id: String,
    pub first_missing: i64,
    pub last_missing: i64,
    pub acknowledged_at_ms: i64,
    /// The signed `kapsel-gap/v1` note.
    pub note: String,
}

/// Keeping and reading checkpoints and acknowledged gaps.
pub trait Checkpoints: Send + Sync {
    /// Keeps `checkpoint`; false when one of that chain and size is kept already.
    fn save_checkpoint(
        &self,
        checkpoint: &StoredCheckpoint,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Checkpoints of `chain_id` smaller than `before_size` (all when `None`), newest first.
    fn checkpoints(
        &self,
        chain_id: &str,
        before_size: Option<i64>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<StoredCheckpoint>, StoreError>> + Send;

    /// The newest checkpoint of `chain_id`.
    fn latest_checkpoint(
        &self,
        chain_id: &str,
    ) -> impl Future<Output = Result<Option<StoredCheckpoint>, StoreError>> + Send {
        async move { Ok(self.checkpoints(chain_id, None, 1).await?.pop()) }
    }

    /// The head `ledger_chains` records for `chain_id`, provided its record is there with
    /// that hash (a checkpoint is never signed over a head that does not exist).
    fn signable_head(
        &self,
        chain_id: &str,
    ) -> impl Future<Output = Result<Option<(i64, String)>, StoreError>> + Send;

    fn append_gap(&self, gap: &StoredGap) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The acknowledged gaps of `chain_id`, lowest first.
    fn gaps(
        &self,
        chain_id: &str,
    ) -> impl Future<Output = Result<Vec<StoredGap>, StoreError>> + Send;
}

impl Checkpoints for Store {
    async fn save_checkpoint(&self, checkpoint: &StoredCheckpoint) -> Result<bool, StoreError> {
        on_pool!(self, sql::save_checkpoint(checkpoint))
    }

    async fn checkpoints(
        &self,
        chain_id: &str,
        before_size: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredCheckpoint>, StoreError> {
        on_pool!(self, sql::checkpoints(chain_id, before_size, limit))
    }

    async fn signable_head(&self, chain_id: &str) -> Result<Option<(i64, String)>, StoreError> {
        on_pool!(self, sql::recorded_head(chain_id))
    }

    async fn append_gap(&self, gap: &StoredGap) -> Result<(), StoreError> {
        on_pool!(self, sql::append_gap(gap))
    }

    async fn gaps(&self, chain_id: &str) -> Result<Vec<StoredGap>, StoreError> {
        on_pool!(self, sql::gaps(chain_id))
    }
}

/// The signed checkpoint of `chain_id`'s head `(size, head_hash)` at `now_ms`.
pub fn sign_checkpoint(
    key: &SigningKey,
    chain_id: &str,
    size: i64,
    head_hash: &str,
    now_ms: i64,
) -> Option<StoredCheckpoint> {
    let head: [u8; 32] = hex::decode(head_hash).ok()?.try_into().ok()?;
    let checkpoint = Checkpoint {
        origin: chain_origin(&key.public().name, chain_id),
        size: u64::try_from(size).ok()?,
        head,
        time_ms: now_ms,
    };
    Some(StoredCheckpoint {
        chain_id: chain_id.to_owned(),
        size,
        head_hash: head_hash.to_owned(),
        signed_at_ms: now_ms,
        key_id: key.public().id_hex(),
        note: checkpoint.sign(key),
    })
}

/// Signs and keeps a checkpoint of `chain_id` when its head moved since the last one; the new
/// checkpoint, or `None` when there was nothing new to sign.
pub async fn checkpoint_chain(
    store: &Store,
    key: &SigningKey,
    chain_id: &str,
    now_ms: i64,
) -> Result<Option<StoredCheckpoint>, StoreError> {
    let Some((size, head_hash)) = store.signable_head(chain_id).await? else {
        return Ok(None);
    };
    if let Some(latest) = store.latest_checkpoint(chain_id).await?
        && latest.size == size
        && latest.head_hash == head_hash
    {
        return Ok(None);
    }
    let Some(checkpoint) = sign_checkpoint(key, chain_id, size, &head_hash, now_ms) else {
        return Ok(None);
    };
    store.save_checkpoint(&checkpoint).await?;
    Ok(Some(checkpoint))
}
