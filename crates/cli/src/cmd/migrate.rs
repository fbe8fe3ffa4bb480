//! `kapsel migrate`: applies the database migrations of the chosen backend and exits. Also owns
//! the `--data DIR | --database-url URL` flags that the ledger commands share.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use kapsel_store::Store;

/// Where the store lives: a data directory with the SQLite file, or a PostgreSQL URL.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Directory holding the embedded SQLite database (kapsel.db).
    #[arg(
        long,
        env = "KAPSEL_DATA",
        default_value = "./data",
        conflicts_with = "database_url"
    )]
    pub data: PathBuf,
    /// PostgreSQL instead of SQLite: postgres://user@host:5432/db.
    #[arg(long, env = "KAPSEL_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// Opens the store, creating the SQLite file if `create` is set.
    pub async fn open(&self, create: bool) -> anyhow::Result<Store> {
        match &self.database_url {
            Some(url) => Store::open_postgres(url)
                .await
                .context("cannot open PostgreSQL"),
            None => {
                let file = self.data.join(kapsel_store::SQLITE_FILE);
                if !create && !file.exists() {
                    bail!(
                        "no ledger at {}: pass --data with the server's data directory, or --database-url",
                        file.display()
                    );
                }
                Store::open_data_dir(&self.data).await.with_context(|| {
                    format!("cannot open the data directory {}", self.data.display())
                })
            }
        }
    }
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

pub fn run(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = args.store.open(true).await?;
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
