//! Scheduled scans in `kapsel serve` (`[scan] every_hours`, `[scan.sites]`): every ten
//! minutes, each listed site whose newest kept report finished more than `every_hours` ago (or
//! that has none) is crawled with real Chromium, judged against the privacy file, and its
//! report kept in the store for the console, as `kapsel scan --upload` would keep it.
//!
//! Of several servers on one store, one scans a site at a time (a lease per site, held by the
//! instance's chain id). A scan that fails is logged and tried again at the next check; it
//! never stops the server.

use std::sync::Arc;
use std::time::Duration;

use kapsel_core::privacy::PrivacyFile;
use kapsel_core::scan_classify::Declaration;
use kapsel_core::{Clock, SystemClock};
use kapsel_scan::ScanOptions;
use kapsel_store::{Leases, ScanReports, Store, StoredScan};
use tokio_util::sync::CancellationToken;

use super::catalogue::load_catalogue;
use crate::settings::scan::ScanSchedule;

/// How often the schedule looks for a site that is due.
const CHECK_EVERY: Duration = Duration::from_secs(600);
/// How long a site's lease lasts: longer than a scan may take (its time budget and a margin).
const LEASE_MS: i64 = 2 * 60 * 60 * 1000;
/// A scheduled scan starts no new page after this long.
const TIME_BUDGET: Duration = Duration::from_secs(600);

pub async fn run(
    schedule: ScanSchedule,
    file: Arc<PrivacyFile>,
    store: Store,
    holder: String,
    shutdown: CancellationToken,
) {
    let catalogue = match load_catalogue(schedule.ocd.as_deref()) {
        Ok((catalogue, _)) => catalogue,
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "scheduled scans are off: the cookie catalogue cannot be loaded");
            return;
        }
    };
    let clock = SystemClock;
    let mut tick = tokio::time::interval(CHECK_EVERY.min(schedule.every));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let latest = match store.latest_scans().await {
            Ok(latest) => latest,
            Err(error) => {
                tracing::warn!(%error, "scheduled scans: the kept reports cannot be read");
                continue;
            }
        };
        let every_ms = i64::try_from(schedule.every.as_millis()).unwrap_or(i64::MAX);
        for (site, urls) in &schedule.sites {
            let now = clock.now_ms();
            let due = latest
                .iter()
                .find(|s| &s.site == site)
                .is_none_or(|s| now.saturating_sub(s.finished_ms) >= every_ms);
            if !due {
                continue;
            }
            let lease = format!("scan:{site}");
            match store.take_lease(&lease, &holder, now, LEASE_MS).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(%error, site, "scheduled scan: the lease cannot be taken");
                    continue;
                }
            }
            let mut options = ScanOptions::new(urls.clone(), Arc::new(SystemClock));
            options.max_pages = schedule.pages;
            options.time_budget = TIME_BUDGET;
            options.chromium = schedule.chromium.clone();
            options.scan_token = schedule.token.clone();
            tracing::info!(site, "scheduled scan started");
            let declaration = Some(Declaration { file: &file, site });
            let scanned = tokio::select! {
                _ = shutdown.cancelled() => None,
                scanned = kapsel_scan::scan(&options, declaration, &catalogue, &|_| {}) => Some(scanned),
            };
            let kept = match scanned {
                None => {
                    let _ = store.release_lease(&lease, &holder).await;
                    return;
                }
                Some(Err(error)) => Err(error.to_string()),
                Some(Ok(report)) => keep(&store, site, &report, clock.now_ms())
                    .await
                    .map(|id| (id, report.pages.len(), report.violations.len())),
            };
            match kept {
                Ok((id, pages, violations)) => {
                    tracing::info!(site, id, pages, violations, "scheduled scan kept");
                }
                Err(error) => tracing::warn!(site, %error, "scheduled scan failed"),
            }
            let _ = store.release_lease(&lease, &holder).await;
        }
    }
}

async fn keep(
    store: &Store,
    site: &str,
    report: &kapsel_core::scan_report::Report,
    now_ms: i64,
) -> Result<i64, String> {
    let text = serde_json::to_string(report).map_err(|e| e.to_string())?;
    store
        .save_scan(&StoredScan::of(site, report, text, now_ms))
        .await
        .map_err(|e| e.to_string())
}
