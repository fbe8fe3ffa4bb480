//! `[signing]`: the instance key that signs receipts, checkpoints and exports, and how often
//! the chain's head is signed. Where the key is kept, in this order (docs/ledger.md):
//!
//! 1. `key` (`KAPSEL_SIGNING__KEY`): `PRIVATE+KEY+<name>+<key id>+<base64>`, e.g. from a
//!    secret manager; `kapsel ledger keygen` prints a new one;
//! 2. `key_file`, or `signing-key` in the SQLite data directory: created (mode 0600) on first
//!    start;
//! 3. otherwise (PostgreSQL without either) kept in the database: weaker, because whoever can
//!    rewrite the ledger can then sign too. The server warns at every start.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use kapsel_core::Secret;
use kapsel_core::signing::{DEFAULT_KEY_NAME, SigningKey};
use kapsel_store::{KeyOrigin, SIGNING_KEY_FILE, SigningKeys, Store, resolve_signing_key};
use serde::{Deserialize, Serialize};

use super::store::StoreSettings;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigningSettings {
    /// The private key itself (a secret; never in the privacy file).
    pub key: Option<Secret>,
    /// A file holding the private key; default `signing-key` in the data directory.
    pub key_file: Option<PathBuf>,
    /// The name a NEW key gets (part of its key id and of checkpoint origins), e.g. the
    /// public host name. An existing key keeps its own.
    pub name: String,
    /// Seconds between two checkpoints of the chain's head (only when it moved).
    pub checkpoint_interval_s: u64,
}

impl Default for SigningSettings {
    fn default() -> Self {
        SigningSettings {
            key: None,
            key_file: None,
            name: DEFAULT_KEY_NAME.to_owned(),
            checkpoint_interval_s: 60,
        }
    }
}

impl SigningSettings {
    pub fn checkpoint_interval(&self) -> Duration {
        Duration::from_secs(self.checkpoint_interval_s.max(1))
    }

    /// The instance key of chain `chain_id`, made on first use, and published in `store` as
    /// that chain's key from `now_ms`.
    pub async fn key(
        &self,
        store: &Store,
        location: &StoreSettings,
        chain_id: &str,
        now_ms: i64,
    ) -> anyhow::Result<SigningKey> {
        let file = self
            .key_file
            .clone()
            .or_else(|| location.data_dir().map(|dir| dir.join(SIGNING_KEY_FILE)));
        let (key, origin) = resolve_signing_key(
            store,
            self.key.as_ref(),
            file.as_deref(),
            chain_id,
            &self.name,
            &kapsel_core::OsRandom,
        )
        .await
        .context("cannot load the signing key")?;
        if origin == KeyOrigin::Database {
            tracing::warn!(
                "the signing key is kept in the database beside the evidence: whoever can \
                 rewrite the ledger can also sign. Set [signing] key or key_file (docs/ledger.md)"
            );
        }
        store
            .register_key(&key, chain_id, now_ms)
            .await
            .context("cannot publish the signing key")?;
        Ok(key)
    }
}
