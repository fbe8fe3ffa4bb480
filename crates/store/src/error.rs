//! The store's error types: one for storage, one for the ledger writer on top of it.

use kapsel_core::consent::ExpiryError;

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
    #[error("stored record {id} is unreadable: column {column}: {reason}")]
    CorruptRow {
        id: String,
        column: &'static str,
        reason: String,
    },
    #[error("invalid database URL: {0}")]
    BadUrl(String),
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
}
