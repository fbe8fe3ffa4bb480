//! Kapsel's connectors into the operator's own databases (DESIGN.md: `crates/connect`).
//!
//! A dataset is declared ([`DatasetSpec`]): its tables, the identity columns that find a data
//! subject, the relations that lead from those rows to the rest, and per field what erasure
//! does. From that declaration alone the engine checks the live schema ([`check()`]), exports the
//! subject's rows ([`access()`]), predicts an erasure ([`erasure_plan`]) and carries it out
//! ([`erase`]) in one transaction, on PostgreSQL, MySQL/MariaDB and SQLite. Values are always
//! bound; identifiers come only from a validated spec.

mod access;
mod batch;
mod check;
mod connection;
mod dialect;
mod erase;
mod rectify;
mod retention;
mod select;

use std::collections::BTreeMap;

pub use access::access;
pub use check::{CheckReport, RuleCheckReport, check, check_rule};
pub use connection::{Connection, Key, SqlEngine};
pub use dialect::{Param, Sql, placeholder, quote};
pub use erase::{Outcome, Plan, TableCounts, erase, erasure_plan, identifier_hash, keyed_hash};
pub use kapsel_core::desk::{AccessResult, TableRows};
pub use kapsel_core::privacy::dataset::{
    DatasetSpec, Engine, Erasure, FieldSpec, Relation, TableSpec,
};
pub use kapsel_core::privacy::is_plain_identifier;
pub use kapsel_core::privacy::validate::PathProblem as Problem;
pub use rectify::{Correction, Rectified, rectify, rectify_preview};
pub use retention::{
    Batch, BatchOutcome, Partition, RulePlan, SubjectHolds, drop_partition, expired_partitions,
    next_batch, retention_plan, run_batch,
};

/// The requester's identifiers: kind (`email`, `phone`, `customer_no`) → value.
pub type Subject = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the dataset declaration is invalid: {}", .0.iter().map(|p| format!("{}: {}", p.path, p.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Problem>),
    #[error("dataset {dataset:?} is declared for {declared:?} but the connection is {actual:?}")]
    EngineMismatch {
        dataset: String,
        declared: Engine,
        actual: SqlEngine,
    },
    #[error("unsupported connection URL scheme {0:?} (postgres, mysql, mariadb, sqlite)")]
    Url(String),
    #[error("{0} is not declared in the dataset")]
    Undeclared(String),
    #[error("a primary key is neither an integer nor text")]
    Key,
    #[error("table {0:?} changed during the erasure; rolled back")]
    Changed(String),
    #[error("the cutoff {0} ms is outside the dates a database can hold")]
    Cutoff(i64),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Error {
    /// The error in words that hold nothing of a connection URL (its credentials), for a
    /// problem body; the full error goes to the log only.
    pub fn without_secrets(&self) -> String {
        match self {
            Error::Database(sqlx::Error::Io(e)) => format!("I/O error: {e}"),
            Error::Database(sqlx::Error::Database(e)) => e.message().to_owned(),
            Error::Database(sqlx::Error::PoolTimedOut) => "timed out".to_owned(),
            Error::Database(sqlx::Error::Tls(_)) => "TLS failed".to_owned(),
            Error::Database(sqlx::Error::Configuration(_)) => {
                "the connection URL is not valid".to_owned()
            }
            Error::Database(_) => "the database refused (see the server log)".to_owned(),
            other => other.to_string(),
        }
    }
}

/// Refuses a spec that is invalid or declared for another engine than `conn`.
fn ready(spec: &DatasetSpec, conn: &Connection) -> Result<(), Error> {
    spec.validate().map_err(Error::Invalid)?;
    if spec.engine != conn.engine().declared() {
        return Err(Error::EngineMismatch {
            dataset: spec.id.clone(),
            declared: spec.engine,
            actual: conn.engine(),
        });
    }
    Ok(())
}
