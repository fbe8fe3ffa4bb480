//! Kapsel's own data, on SQLite (embedded default, a file under `--data`) or PostgreSQL,
//! organised BY CONCERN. Each concern is a module with its types, its SQL (`sql.rs`, every
//! statement written once and expanded per backend by `per_backend!` in `backend.rs`) and a
//! narrow trait, so that a consumer depends on the least it needs (the receipt endpoint on
//! [`LedgerRead`] alone, `kapsel ledger verify` on [`LedgerVerify`] alone):
//!
//! | concern | module | trait | implemented by |
//! |---|---|---|---|
//! | ledger writing (group commit) | [`ledger::write`] | [`LedgerAppend`] | [`Ledger`] |
//! | ledger reading, lineage, export | [`ledger::read`] | [`LedgerRead`] | [`Store`] |
//! | ledger verification | [`ledger::verify`] | [`LedgerVerify`] | [`Store`] |
//! | ledger pruning, sealed by a signed note | [`ledger::prune`] | [`LedgerPrune`] | [`Store`] |
//! | published revisions | [`revisions`] | [`RevisionStore`] | [`Store`] |
//! | instance id and chain id | [`instance`] | [`InstanceMeta`] | [`Store`] |
//! | one server per SQLite data directory | [`lock`] | – | [`DataDirLock`] |
//! | signing keys and where the key is kept | [`keys`] | [`SigningKeys`] | [`Store`] |
//! | signed checkpoints and acknowledged gaps | [`checkpoints`] | [`Checkpoints`] | [`Store`] |
//! | request desk cases and their histories | [`cases`] | [`CaseStore`] | [`Store`] |
//! | the requester's links (hashed tokens) | [`links`] | [`DeskLinks`] | [`Store`] |
//! | outgoing mail, sent or kept | [`outbox`] | [`Outbox`] | [`Store`] |
//! | access bundles until they expire | [`bundles`] | [`Bundles`] | [`Store`] |
//! | restriction and objection: the suppression list | [`suppressions`] | [`Suppressions`] | [`Store`] |
//! | one instance per background job: leases | [`leases`] | [`Leases`] | [`Store`] |
//! | consent counters per day, kept by the writer | [`ledger::counts`] | [`ConsentCounts`] | [`Store`] |
//! | console operators, sessions, failed sign-ins | [`accounts`] | [`Accounts`] | [`Store`] |
//! | what console operators did, hash-chained | [`audit`] | [`AuditLog`] | [`Store`] |
//! | the scanner's uploaded reports | [`scans`] | [`ScanReports`] | [`Store`] |
//!
//! This file owns the [`Store`] handle itself: opening either backend, migrating, closing.
//! The dialects differ only in their migrations (`migrations/{sqlite,postgres}/`, the same
//! file names in both; see [`migrations`]). Timestamps are integer milliseconds and ids are
//! text in both.
//!
//! A concern still to come gets the same shape: a module here with its own trait, its own
//! `sql.rs`, and a migration file pair.

pub mod accounts;
pub mod audit;
mod backend;
pub mod bundles;
pub mod cases;
pub mod checkpoints;
pub mod error;
pub mod evidence;
pub mod gate;
pub mod instance;
pub mod keys;
pub mod leases;
pub mod ledger;
pub mod links;
pub mod lock;
pub mod migrations;
pub mod outbox;
pub mod own_data;
pub mod retention;
pub mod revisions;
pub mod scans;
pub mod suppressions;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use accounts::{Account, Accounts, OidcPending, Session, SessionStage};
pub use audit::{AuditLog, AuditVerdict};
pub use bundles::{Bundles, StoredBundle};
pub use cases::{CaseError, CaseStore};
pub use checkpoints::{Checkpoints, StoredCheckpoint, StoredGap, checkpoint_chain};
pub use error::{LedgerError, StoreError};
pub use evidence::{EvidenceCopy, EvidenceMode};
pub use gate::{
    Delivery, DeliveryState, DueEvent, GateEvents, GateWriter, NewEvent, Settle, TraceQuery,
};
pub use instance::{INSTANCE_ID_FILE, InstanceMeta, new_instance_id};
pub use keys::{KeyOrigin, PublishedKey, SIGNING_KEY_FILE, SigningKeys, resolve_signing_key};
pub use leases::Leases;
pub use ledger::{
    AppendRequest, ChainHeadMismatch, ChainVerdict, ChoiceCount, ConsentCounts, CountFilter,
    DayCount, ExportFilter, Ledger, LedgerAppend, LedgerOptions, LedgerPrune, LedgerRead,
    LedgerStats, LedgerVerify, PreviousReceipt, PrunePlan, PruneStop, RETRY_AFTER_S, SealRefused,
    StoredSeal, WriterHealth,
};
pub use links::{DeskLinks, LinkRefused, LinkRow};
pub use lock::{DataDirLock, LOCK_FILE};
pub use migrations::Dialect;
pub use outbox::{MailState, NewMail, Outbox, OutboxError, OutboxMail};
pub use own_data::OwnData;
pub use retention::{HoldError, Retention};
pub use revisions::{PublishedRevision, RevisionProblem, RevisionStore, RevisionsVerdict};
pub use scans::{ScanReports, StoredScan};
pub use suppressions::{Suppression, Suppressions};

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
