//! `[scan]`: Kapsel's own scanner, as the server sees it.
//!
//! - `token` marks the scanner: `kapsel scan --token` (or `KAPSEL_SCAN__TOKEN`, the same
//!   variable on both sides) sends it in `Kapsel-Scan` on the banner's consent POSTs;
//!   `kapsel serve` answers those as usual and records nothing, so scans never count as
//!   visitors' choices (docs/scanner.md, docs/ledger.md).
//! - `every_hours` and `[scan.sites]` schedule scans: `kapsel serve` crawls each listed site
//!   from its start URLs when its newest kept report is older than that, and keeps the report
//!   for the console (`cmd::scan_schedule`), as `kapsel scan --upload` would.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use kapsel_core::Secret;
use kapsel_core::privacy::PrivacyFile;
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScanSettings {
    /// The scanner's token (a secret). Without one, any `Kapsel-Scan` header is refused.
    pub token: Option<Secret>,
    /// Hours between a site's scheduled scans; 0 schedules none.
    pub every_hours: u64,
    /// At most this many pages per scheduled scan.
    pub pages: usize,
    /// The Chromium executable the scheduled scans start.
    pub chromium: PathBuf,
    /// The Open Cookie Database CSV, beside the built-in catalogue.
    pub ocd: Option<PathBuf>,
    /// Per site of the privacy file, the URLs its scheduled scan starts from.
    pub sites: BTreeMap<String, Vec<String>>,
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings {
            token: None,
            every_hours: 0,
            pages: 20,
            chromium: PathBuf::from(kapsel_scan::browser::DEFAULT_CHROMIUM),
            ocd: None,
            sites: BTreeMap::new(),
        }
    }
}

/// The scheduled scans, checked against the privacy file.
#[derive(Debug, Clone)]
pub struct ScanSchedule {
    pub every: Duration,
    pub pages: usize,
    pub chromium: PathBuf,
    pub ocd: Option<PathBuf>,
    pub token: Option<Secret>,
    /// Site id and start URLs, in site order.
    pub sites: Vec<(String, Vec<Url>)>,
}

impl ScanSettings {
    /// The schedule, or `None` when `every_hours` is 0; an error names the key that is wrong.
    pub fn schedule(&self, file: &PrivacyFile) -> anyhow::Result<Option<ScanSchedule>> {
        if self.every_hours == 0 {
            return Ok(None);
        }
        if self.every_hours > 24 * 366 {
            bail!("[scan] every_hours must be between 0 and 8784 (hours; 0 schedules no scan)");
        }
        if !(1..=1000).contains(&self.pages) {
            bail!("[scan] pages must be between 1 and 1000");
        }
        if self.sites.is_empty() {
            bail!(
                "[scan] every_hours is set but [scan.sites] lists no site: add `site_id = [\"https://…/\"]`"
            );
        }
        let mut sites = Vec::new();
        for (site, urls) in &self.sites {
            if file.site(site).is_none() {
                bail!("[scan.sites] {site}: no such site in the privacy file");
            }
            if urls.is_empty() {
                bail!("[scan.sites] {site}: give at least one start URL");
            }
            let urls = urls
                .iter()
                .map(|u| {
                    let url = Url::parse(u)
                        .with_context(|| format!("[scan.sites] {site}: {u:?} is not a URL"))?;
                    if !matches!(url.scheme(), "http" | "https") {
                        bail!("[scan.sites] {site}: {u:?} is not http or https");
                    }
                    Ok(url)
                })
                .collect::<anyhow::Result<Vec<Url>>>()?;
            sites.push((site.clone(), urls));
        }
        Ok(Some(ScanSchedule {
            every: Duration::from_secs(self.every_hours * 3600),
            pages: self.pages,
            chromium: self.chromium.clone(),
            ocd: self.ocd.clone(),
            token: self.token.clone(),
            sites,
        }))
    }
}
