//! `kapsel migrate`: applies the database migrations of the chosen backend and exits. Also owns
//! the store flags (`--settings FILE`, `--data DIR | --database-url URL`) that `serve` and the
//! ledger commands share; they are the top layer over the `[store]` settings
//! (`crate::settings::store`), which open the store.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use kapsel_store::Store;
use toml::Table;

use crate::settings::store::Open;
use crate::settings::{Settings, put};

/// Where the store lives: a data directory with the SQLite file, or a PostgreSQL URL; either
/// also from the settings file or the environment (docs/settings.md).
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// A TOML settings file (docs/settings.md); the environment and flags win over it.
    #[arg(long, env = "KAPSEL_SETTINGS")]
    pub settings: Option<PathBuf>,
    /// Directory holding the embedded SQLite database (kapsel.db); ./data unless a settings
    /// layer says otherwise.
    #[arg(long, conflicts_with = "database_url")]
    pub data: Option<PathBuf>,
    /// PostgreSQL instead of SQLite: postgres://user@host:5432/db (KAPSEL_STORE__DATABASE_URL
    /// keeps a password out of the process list).
    #[arg(long)]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// The `[store]` keys these flags set, as the top settings layer.
    pub fn flags(&self) -> anyhow::Result<Table> {
        let mut layer = Table::new();
        put(&mut layer, &["store", "data"], self.data.as_ref())?;
        put(
            &mut layer,
            &["store", "database_url"],
            self.database_url.as_ref(),
        )?;
        Ok(layer)
    }

    /// Every layer under these flags: the settings file, the environment, the defaults.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        Settings::load(self.settings.as_deref(), self.flags()?)
    }

    /// Opens the store these flags and the settings below them name.
    pub async fn open(&self, open: Open) -> anyhow::Result<Store> {
        self.settings()?.store.open(open).await
    }

    /// Opens it as evidence, read-only (see `StoreSettings::open_evidence`).
    pub async fn open_evidence(
        &self,
    ) -> anyhow::Result<(Store, Option<kapsel_store::EvidenceCopy>)> {
        self.settings()?.store.open_evidence().await
    }
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

pub fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let _data_lock = args.store.settings()?.store.lock_data_dir()?;
        let store = args.store.open(Open::CreateIfMissing).await?;
        store.migrate().await.context("migration failed")?;
        store.close().await;
        println!("migrations applied ({:?})", store.dialect());
        Ok(ExitCode::SUCCESS)
    })
}

/// A small runtime for one-shot commands.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
