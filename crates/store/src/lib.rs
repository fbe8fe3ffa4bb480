//! Kapsel's storage: the consent ledger (group-commit writer, reading, export, verification)
//! and published revisions, on SQLite (embedded default, a file under `--data`) or PostgreSQL.
//!
//! Every statement is written once (`queries`) and expanded per backend; the dialects differ
//! only in their migrations (`migrations/{sqlite,postgres}/`). Timestamps are integer
//! milliseconds and ids are text in both.

pub mod error;
pub mod export;
pub mod instance;
pub mod ledger;
pub mod migrations;
mod queries;
pub mod revisions;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use error::{LedgerError, StoreError};
pub use export::{ChainVerdict, ExportFilter};
pub use ledger::{Ledger, LedgerOptions};
pub use migrations::Dialect;
pub use revisions::PublishedRevision;

/// The file name of the SQLite database inside the data directory.
pub const SQLITE_FILE: &str = "kapsel.db";

/// A handle on the database; cheap to clone (a connection pool inside).
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path`: WAL journal, `synchronous=FULL`
    /// so a commit is on disk when it returns.
    pub async fn open_sqlite(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options)
            .await?;
        Ok(Store::Sqlite(pool))
    }

    /// Opens the SQLite database `kapsel.db` inside the data directory `dir`.
    pub async fn open_data_dir(dir: &Path) -> Result<Store, StoreError> {
        Store::open_sqlite(&dir.join(SQLITE_FILE)).await
    }

    /// Connects to PostgreSQL at `url` (`postgres://user@host:5432/db`).
    pub async fn open_postgres(url: &str) -> Result<Store, StoreError> {
        let options =
            PgConnectOptions::from_str(url).map_err(|err| StoreError::BadUrl(format!("{err}")))?;
        Store::open_postgres_with(options).await
    }

    /// Connects to PostgreSQL with explicit options (tests set `search_path` this way).
    /// `synchronous_commit` is forced on: a commit is durable when it returns.
    pub async fn open_postgres_with(options: PgConnectOptions) -> Result<Store, StoreError> {
        let options = options.options([("synchronous_commit", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Store::Postgres(pool))
    }

    /// Applies the migrations of this backend's dialect; a no-op when they are applied.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self {
            Store::Sqlite(pool) => migrations::migrator(Dialect::Sqlite).run(pool).await?,
            Store::Postgres(pool) => migrations::migrator(Dialect::Postgres).run(pool).await?,
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Store::Sqlite(_) => Dialect::Sqlite,
            Store::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Closes every connection; waits for them to finish.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(pool) => pool.close().await,
            Store::Postgres(pool) => pool.close().await,
        }
    }
}
