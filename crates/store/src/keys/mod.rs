//! The instance signing key: where it is kept, and the public keys published with their
//! validity periods (the [`SigningKeys`] trait, implemented by [`Store`]).
//!
//! [`resolve_signing_key`] finds the key in this order: the key given in settings
//! (`[signing] key`, `KAPSEL_SIGNING__KEY`); a key file (`[signing] key_file`, or
//! `signing-key` in the SQLite data directory), created with mode 0600 on first start;
//! otherwise — PostgreSQL without a key in settings — a key kept in the database itself, which
//! is WEAKER: whoever can rewrite the ledger's tables can then also sign (docs/ledger.md).
//!
//! Every key that signed is kept in `signing_keys` with `valid_from_ms`; registering a new key
//! for the same holder (the chain it signs) ends the old one's validity, and the old one stays
//! published so that what it signed can still be verified.

mod sql;

use crate::instance::sql as meta;

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use kapsel_core::signing::{KeyError, SigningKey};
use kapsel_core::{Random, Secret};

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// The key file's name in the data directory.
pub const SIGNING_KEY_FILE: &str = "signing-key";

/// A public key as `GET /.well-known/kapsel/keys` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKey {
    /// base64 of the 32-byte Ed25519 key.
    pub public_key: String,
    /// 8 hex digits (the signed-note key id).
    pub key_id: String,
    pub name: String,
    /// The chain of the instance that signs with it.
    pub holder: String,
    pub valid_from_ms: i64,
    /// `None` while the key is in use.
    pub valid_until_ms: Option<i64>,
}

/// Keeping the published keys.
pub trait SigningKeys: Send + Sync {
    /// Publishes `key` as the key of `holder` from `now_ms` (a no-op when it is known), and
    /// ends at `now_ms` the validity of every other key of `holder` still in use.
    fn register_key(
        &self,
        key: &SigningKey,
        holder: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every key that ever signed here, oldest first.
    fn published_keys(&self) -> impl Future<Output = Result<Vec<PublishedKey>, StoreError>> + Send;
}

impl SigningKeys for Store {
    async fn register_key(
        &self,
        key: &SigningKey,
        holder: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let public = key.public();
        let row = PublishedKey {
            public_key: public.base64(),
            key_id: public.id_hex(),
            name: public.name.clone(),
            holder: holder.to_owned(),
            valid_from_ms: now_ms,
            valid_until_ms: None,
        };
        on_pool!(self, sql::register_key(&row, now_ms))
    }

    async fn published_keys(&self) -> Result<Vec<PublishedKey>, StoreError> {
        on_pool!(self, sql::published_keys())
    }
}

/// Where the instance key was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    Settings,
    File(PathBuf),
    /// Kept in the database beside the evidence (the weaker choice).
    Database,
}

/// Why no signing key could be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("the signing key {origin} is unusable: {source}")]
    Key { origin: String, source: KeyError },
    #[error("cannot use the key file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot keep the signing key in the database: {0}")]
    Store(#[from] StoreError),
}

/// The instance key (see the module documentation for the order of sources). A new key is
/// named `name` and drawn from `random`; `holder` is the chain it signs.
pub async fn resolve_signing_key(
    store: &Store,
    from_settings: Option<&Secret>,
    key_file: Option<&Path>,
    holder: &str,
    name: &str,
    random: &dyn Random,
) -> Result<(SigningKey, KeyOrigin), KeyStoreError> {
    if let Some(secret) = from_settings {
        let key = SigningKey::from_private_text(secret.expose()).map_err(|source| {
            KeyStoreError::Key {
                origin: "in the settings ([signing] key)".into(),
                source,
            }
        })?;
        return Ok((key, KeyOrigin::Settings));
    }
    let fresh = || {
        let key = SigningKey::generate(name, random).map_err(|source| KeyStoreError::Key {
            origin: format!("named {name:?}"),
            source,
        })?;
        key.private_text().map_err(|source| KeyStoreError::Key {
            origin: "just made".into(),
            source,
        })
    };
    if let Some(path) = key_file {
        let text = key_file_text(path, fresh)?;
        let key = SigningKey::from_private_text(&text).map_err(|source| KeyStoreError::Key {
            origin: format!("in {}", path.display()),
            source,
        })?;
        return Ok((key, KeyOrigin::File(path.to_owned())));
    }
    let meta_key = format!("signing_key:{holder}");
    let text = on_pool!(
        store,
        meta::meta_get_or_insert(&meta_key, fresh()?.expose())
    )?;
    let key = SigningKey::from_private_text(&text).map_err(|source| KeyStoreError::Key {
        origin: "kept in the database".into(),
        source,
    })?;
    Ok((key, KeyOrigin::Database))
}

/// The key file's text, creating the file (mode 0600, never overwriting) when it is missing.
fn key_file_text(
    path: &Path,
    fresh: impl FnOnce() -> Result<Secret, KeyStoreError>,
) -> Result<String, KeyStoreError> {
    let io_error = |source| KeyStoreError::File {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            warn_if_readable_by_others(path);
            return Ok(text);
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(io_error(err)),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_error)?;
    }
    let secret = fresh()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(format!("{}\n", secret.expose()).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(io_error)?;
            tracing::info!(path = %path.display(), "created the instance signing key");
            Ok(secret.expose().to_owned())
        }
        // Another process made it first: use theirs.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read_to_string(path).map_err(io_error)
        }
        Err(err) => Err(io_error(err)),
    }
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions());
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{:o}", mode & 0o777),
                "the signing key file is readable by others; chmod 600 it"
            );
        }
    }
}
