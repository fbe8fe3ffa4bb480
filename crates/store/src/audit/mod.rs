//! The console's audit log: the [`AuditLog`] trait, implemented by [`Store`]. An entry is
//! sealed (`kapsel_core::console::audit`) after the recorded head and written with the new head
//! in one transaction that holds the head row's lock, so the log stays one chain however many
//! instances write to it.

mod sql;

use std::future::Future;

use kapsel_core::console::audit::{AuditBreak, AuditEntry, NewAuditEntry, verify};

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// What verifying the log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerdict {
    pub entries: u64,
    pub head: Option<(i64, String)>,
    pub broken: Option<AuditBreak>,
}

pub trait AuditLog: Send + Sync {
    /// Appends `entry`; the entry as sealed.
    fn append_audit(
        &self,
        entry: NewAuditEntry,
    ) -> impl Future<Output = Result<AuditEntry, StoreError>> + Send;

    /// The newest entries first, at most `limit`, with seq below `before` when given.
    fn audit_page(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;

    /// Reads the whole log and checks it against its recorded head.
    fn verify_audit(&self) -> impl Future<Output = Result<AuditVerdict, StoreError>> + Send;
}

impl AuditLog for Store {
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry, StoreError> {
        on_pool!(self, sql::append(entry))
    }

    async fn audit_page(
        &self,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        on_pool!(
            self,
            sql::page(before.unwrap_or(i64::MAX), i64::from(limit))
        )
    }

    async fn verify_audit(&self) -> Result<AuditVerdict, StoreError> {
        let (seq, hash) = on_pool!(self, sql::head())?;
        let head = (seq > 0).then_some((seq, hash));
        let entries = on_pool!(self, sql::all())?;
        let broken = verify(
            &entries,
            head.as_ref().map(|(seq, hash)| (*seq, hash.as_str())),
        )
        .err();
        Ok(AuditVerdict {
            entries: entries.len() as u64,
            head,
            broken,
        })
    }
}
