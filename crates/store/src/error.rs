//! The store's error types: one for storage, one for the ledger writer on top of it, and which
//! of them mean "the storage is unavailable, retry later" rather than "this request failed".

use kapsel_core::consent::ExpiryError;

pub use crate::ledger::write::ChainHeadMismatch;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the data directory {path} is in use by another Kapsel process ({holder}): two servers \
         on one SQLite ledger would both write its chain; give each server its own --data, or \
         run several instances on PostgreSQL with one --chain-id each"
    )]
    DataDirInUse { path: String, holder: String },
    #[error("stored record {id} is unreadable: column {column}: {reason}")]
    CorruptRow {
        id: String,
        column: &'static str,
        reason: String,
    },
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    /// A writer task could not take or commit the write (it stopped, or its transaction
    /// failed); retry later.
    #[error("{0}")]
    Unavailable(String),
}

impl StoreError {
    /// True for a failure of the storage itself rather than of the request: the disk is full,
    /// an I/O error, the database is unreachable or refuses connections. A client may retry
    /// such a write later (503 with `Retry-After`); nothing about the record was wrong.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(error) = self else {
            return matches!(
                self,
                StoreError::DataDir { .. } | StoreError::Unavailable(_)
            );
        };
        match error {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_) => true,
            sqlx::Error::Database(db) => {
                let sqlite = db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some();
                db.code()
                    .is_some_and(|code| unavailable_code(sqlite, &code))
            }
            _ => false,
        }
    }
}

/// SQLite result codes (primary code in the low byte of the extended one) and PostgreSQL
/// SQLSTATEs that mean the storage, not the statement, failed.
fn unavailable_code(sqlite: bool, code: &str) -> bool {
    if sqlite {
        // SQLITE_BUSY 5, SQLITE_LOCKED 6, SQLITE_NOMEM 7, SQLITE_READONLY 8, SQLITE_IOERR 10,
        // SQLITE_FULL 13, SQLITE_CANTOPEN 14, SQLITE_PROTOCOL 15.
        return code
            .parse::<i32>()
            .is_ok_and(|extended| matches!(extended & 0xff, 5 | 6 | 7 | 8 | 10 | 13 | 14 | 15));
    }
    // Class 08 connection exception, 53 insufficient resources (53100 disk full), 57P0x
    // operator intervention (shutdown, cannot connect now), 58 system error (58030 I/O).
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || code.starts_with("58")
}

/// Why an append did not produce a receipt. No receipt means no durable record.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the ledger is shutting down")]
    ShuttingDown,
    #[error(
        "chain {0} is being written by another Kapsel instance; give each instance its own chain id"
    )]
    ChainInUse(String),
    #[error("cannot compute the expiry: {0}")]
    Expiry(#[from] ExpiryError),
    #[error("the record was not stored: {0}")]
    Store(#[from] StoreError),
    #[error("the record was not stored: the batch failed ({0})")]
    BatchFailed(String),
    /// The storage failed (disk full, I/O, database unreachable); retrying later may succeed.
    #[error("the record was not stored: the storage is unavailable ({0})")]
    Unavailable(String),
    /// The chain's recorded head and its records disagree, so the writer does not start: see
    /// [`ChainHeadMismatch`].
    #[error("{0}")]
    HeadMismatch(Box<ChainHeadMismatch>),
    /// This writer refused to start (a head mismatch at start-up) and records nothing.
    #[error("the ledger writer refuses to write: {0}")]
    Refused(String),
}

impl LedgerError {
    /// True when the client may retry later: the storage failed, not the request.
    pub fn is_unavailable(&self) -> bool {
        match self {
            LedgerError::Unavailable(_) => true,
            LedgerError::Store(store) => store.is_unavailable(),
            _ => false,
        }
    }
}
