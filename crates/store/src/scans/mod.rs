//! The scanner's reports: the [`ScanReports`] trait, implemented by [`Store`]. `kapsel scan
//! --upload` sends a report to the server (`POST /v1/admin/scans`), which keeps it here as sent;
//! the console shows each site's newest.

mod sql;

use std::future::Future;

use kapsel_core::Millis;

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// A kept report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredScan {
    pub id: i64,
    pub site: String,
    pub started_ms: Millis,
    pub finished_ms: Millis,
    pub pages: i64,
    pub violations: i64,
    pub uploaded_ms: Millis,
    /// The report's JSON.
    pub report: String,
}

impl StoredScan {
    /// A report to keep for `site`, as `text` (its JSON), received at `received_ms`.
    pub fn of(
        site: &str,
        report: &kapsel_core::scan_report::Report,
        text: String,
        received_ms: Millis,
    ) -> StoredScan {
        StoredScan {
            id: 0,
            site: site.to_owned(),
            started_ms: report.started_at,
            finished_ms: report.finished_at,
            pages: i64::try_from(report.pages.len()).unwrap_or(i64::MAX),
            violations: i64::try_from(report.violations.len()).unwrap_or(i64::MAX),
            uploaded_ms: received_ms,
            report: text,
        }
    }
}

pub trait ScanReports: Send + Sync {
    /// Keeps `scan` (its `id` is ignored); the id it got.
    fn save_scan(&self, scan: &StoredScan) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// The newest report of each site that has one, by site.
    fn latest_scans(&self) -> impl Future<Output = Result<Vec<StoredScan>, StoreError>> + Send;
}

impl ScanReports for Store {
    async fn save_scan(&self, scan: &StoredScan) -> Result<i64, StoreError> {
        on_pool!(self, sql::insert(scan))
    }

    async fn latest_scans(&self) -> Result<Vec<StoredScan>, StoreError> {
        on_pool!(self, sql::latest())
    }
}
