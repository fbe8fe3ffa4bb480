//! `[store]`: where Kapsel keeps its own data (a data directory with the embedded SQLite file,
//! or a PostgreSQL URL) and which ledger chain this instance writes; and the one function that
//! opens the store, used by `serve`, `migrate` and `ledger`.
//!
//! `data` and `database_url` name one place in two ways: a layer that gives either replaces both
//! of the layers below it (so `--data` means SQLite even when the file names PostgreSQL), and
//! one layer giving both is an error.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use kapsel_core::Secret;
use kapsel_store::{InstanceMeta, Store};
use serde::{Deserialize, Serialize};
use toml::{Table, Value};

/// The data directory when none is given.
pub const DEFAULT_DATA: &str = "./data";

/// The two keys that say where the store is.
const LOCATION: [&str; 2] = ["data", "database_url"];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
    /// Directory of the embedded SQLite database (`kapsel.db`) and the instance id.
    pub data: Option<PathBuf>,
    /// PostgreSQL instead of SQLite: `postgres://user:password@host:5432/db`.
    pub database_url: Option<Secret>,
    /// This instance's ledger chain; each instance sharing a database needs its own. Without
    /// one, an id kept in the data directory (SQLite) or in the database.
    pub chain_id: Option<String>,
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            data: Some(PathBuf::from(DEFAULT_DATA)),
            database_url: None,
            chain_id: None,
        }
    }
}

/// Whether opening may create the SQLite file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    /// `serve` and `migrate`: create the data directory and `kapsel.db` if missing.
    CreateIfMissing,
    /// `ledger`: refuse a data directory without a ledger.
    Existing,
}

impl StoreSettings {
    /// The data directory of the SQLite store; `None` on PostgreSQL.
    pub fn data_dir(&self) -> Option<&Path> {
        match (&self.database_url, &self.data) {
            (Some(_), _) => None,
            (None, Some(data)) => Some(data),
            (None, None) => Some(Path::new(DEFAULT_DATA)),
        }
    }

    /// Opens the store (not yet migrated).
    pub async fn open(&self, open: Open) -> anyhow::Result<Store> {
        if let Some(url) = &self.database_url {
            return Store::open_postgres(url.expose())
                .await
                .context("cannot open PostgreSQL");
        }
        let dir = self.data_dir().unwrap_or(Path::new(DEFAULT_DATA));
        let file = dir.join(kapsel_store::SQLITE_FILE);
        if open == Open::Existing && !file.exists() {
            bail!(
                "no ledger at {}: pass --data with the server's data directory, or --database-url",
                file.display()
            );
        }
        Store::open_data_dir(dir)
            .await
            .with_context(|| format!("cannot open the data directory {}", dir.display()))
    }

    /// Opens the store as evidence, read-only (`ledger verify`): on SQLite nothing is created
    /// in the data directory, not even `-wal`/`-shm` (see `kapsel_store::evidence`); the copy
    /// an un-checkpointed WAL needs lives as long as the value returned with the store.
    pub async fn open_evidence(
        &self,
    ) -> anyhow::Result<(Store, Option<kapsel_store::EvidenceCopy>)> {
        if let Some(url) = &self.database_url {
            let store = Store::open_postgres_read_only(url.expose())
                .await
                .context("cannot open PostgreSQL")?;
            return Ok((store, None));
        }
        let dir = self.data_dir().unwrap_or(Path::new(DEFAULT_DATA));
        let file = dir.join(kapsel_store::SQLITE_FILE);
        if !file.exists() {
            bail!(
                "no ledger at {}: pass --data with the server's data directory, or --database-url",
                file.display()
            );
        }
        let (store, mode, copy) = Store::open_evidence(dir)
            .await
            .with_context(|| format!("cannot open the ledger in {} read-only", dir.display()))?;
        if mode == kapsel_store::EvidenceMode::PrivateCopy {
            eprintln!(
                "note: {} holds a WAL without its index; read from a private copy, the directory \
                 is left untouched",
                dir.display()
            );
        }
        Ok((store, copy))
    }

    /// The exclusive lock on the SQLite data directory (`None` on PostgreSQL, whose writers
    /// lock their chain instead): a second server on the same directory is refused.
    pub fn lock_data_dir(&self) -> anyhow::Result<Option<kapsel_store::DataDirLock>> {
        let Some(dir) = self.data_dir() else {
            return Ok(None);
        };
        Ok(Some(kapsel_store::DataDirLock::acquire(
            dir,
            std::process::id(),
        )?))
    }

    /// The chain this instance writes: `chain_id`, else the id kept in the data directory or
    /// the database (made on first start).
    pub async fn resolve_chain_id(&self, store: &Store) -> anyhow::Result<String> {
        store
            .resolve_chain_id(
                self.chain_id.as_deref(),
                self.data_dir(),
                &kapsel_core::OsRandom,
            )
            .await
            .context("cannot determine this instance's chain id")
    }
}

/// Refuses a layer that gives both `data` and `database_url`.
pub fn check_one_backend(layer: &Table, origin: &str) -> anyhow::Result<()> {
    if let Some(Value::Table(store)) = layer.get("store")
        && LOCATION.iter().all(|key| store.contains_key(*key))
    {
        bail!("{origin}: give either store.data or store.database_url, not both");
    }
    Ok(())
}

/// When `top` says where the store is, forgets where `base` said it was.
pub fn supersede(base: &mut Table, top: &Table) {
    let names_location = matches!(top.get("store"), Some(Value::Table(store))
        if LOCATION.iter().any(|key| store.contains_key(*key)));
    if names_location && let Some(Value::Table(store)) = base.get_mut("store") {
        for key in LOCATION {
            store.remove(key);
        }
    }
}
