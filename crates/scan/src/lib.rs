//! The scanner: drives a real Chromium over a site, page by page and consent phase by consent
//! phase, each visit in a fresh profile, and returns a [`Report`] judged against the privacy
//! file and the cookie catalogue. The only crate that talks to a browser.
//!
//! `browser` starts Chromium and hands out fresh profiles; `capture` runs one visit, `observe`
//! reads the findings; `events` records what DevTools reports during a visit; `crawl` decides which
//! pages to visit; `html` renders a report for people. Judging lives in
//! `kapsel_core::scan_classify`, so it is testable without a browser.

pub mod browser;
pub mod capture;
pub mod crawl;
pub mod events;
pub mod html;
pub mod mark;
pub mod observe;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use kapsel_core::Clock;
use kapsel_core::catalogue::Catalogue;
use kapsel_core::scan_classify::{Declaration, classify};
use kapsel_core::scan_report::{
    PageResult, Phase, PhaseNotDriven, PhaseResult, Report, SCHEMA_VERSION,
};
use tokio::time::Instant;
use url::Url;

pub use browser::{Chromium, chromium_path};
pub use capture::{Plan, Timing};

/// Everything that can stop a scan.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("no Chromium at {0} (install the `chromium` package or set KAPSEL_CHROMIUM)")]
    NoBrowser(PathBuf),
    #[error("could not start Chromium: {0}")]
    Launch(String),
    #[error("the browser failed to {action}: {reason}")]
    Browser {
        action: &'static str,
        reason: String,
    },
    #[error("could not load {url}: {reason}")]
    Load { url: String, reason: String },
    #[error("{0} did not finish loading in time")]
    Timeout(String),
    #[error("bad URL: {0}")]
    Url(String),
    #[error("temporary profile directory: {0}")]
    Io(#[from] std::io::Error),
}

impl ScanError {
    /// Maps a DevTools error to a [`ScanError::Browser`] naming what was being done.
    pub fn browser(action: &'static str) -> impl Fn(chromiumoxide::error::CdpError) -> ScanError {
        move |error| ScanError::Browser {
            action,
            reason: error.to_string(),
        }
    }
}

/// What to scan and how far.
#[derive(Clone)]
pub struct ScanOptions {
    pub start_urls: Vec<Url>,
    /// At most this many pages.
    pub max_pages: usize,
    /// No new page is started after this much time.
    pub time_budget: Duration,
    /// Also visit the URLs in `/sitemap.xml`.
    pub sitemap: bool,
    /// Skip paths `robots.txt` disallows.
    pub robots: bool,
    /// Drive "reject all" and "accept all" where a Kapsel banner is found; when false only the
    /// before-choice phase runs (the baseline of the benchmark).
    pub drive_choices: bool,
    /// Pages visited at the same time (each with up to three tabs).
    pub concurrency: usize,
    pub chromium: PathBuf,
    pub timing: Timing,
    /// When the report says the scan started and finished, and what "now" is for a cookie's
    /// remaining lifetime. Budgets and quiet periods are timeouts on tokio's clock instead.
    pub clock: Arc<dyn Clock>,
    /// The server's `[scan] token`: sent as `Kapsel-Scan` on the banner's consent requests (and
    /// nowhere else), so the choices this scan drives are answered but never recorded.
    pub scan_token: Option<kapsel_core::Secret>,
}

impl fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanOptions")
            .field("start_urls", &self.start_urls)
            .field("max_pages", &self.max_pages)
            .field("time_budget", &self.time_budget)
            .field("sitemap", &self.sitemap)
            .field("robots", &self.robots)
            .field("drive_choices", &self.drive_choices)
            .field("concurrency", &self.concurrency)
            .field("chromium", &self.chromium)
            .field("timing", &self.timing)
            .field("scan_token", &self.scan_token)
            .finish_non_exhaustive()
    }
}

impl ScanOptions {
    /// The defaults for scanning `start_urls`, reading the time from `clock`.
    pub fn new(start_urls: Vec<Url>, clock: Arc<dyn Clock>) -> ScanOptions {
        ScanOptions {
            start_urls,
            max_pages: 20,
            time_budget: Duration::from_secs(300),
            sitemap: false,
            robots: false,
            drive_choices: true,
            concurrency: 3,
            chromium: chromium_path(),
            timing: Timing {
                quiet: Duration::from_millis(300),
                settle_max: Duration::from_secs(5),
                load_max: Duration::from_secs(20),
            },
            clock,
            scan_token: None,
        }
    }
}

/// Progress as the crawl goes: pages done, pages known so far, the page just finished.
#[derive(Debug, Clone)]
pub struct Progress {
    pub done: usize,
    pub queued: usize,
    pub url: String,
}

/// Crawls and scans, then classifies every finding and derives the violations.
pub async fn scan(
    options: &ScanOptions,
    declaration: Option<Declaration<'_>>,
    catalogue: &Catalogue,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<Report, ScanError> {
    if options.start_urls.is_empty() {
        return Err(ScanError::Url("give at least one URL to scan".to_owned()));
    }
    let started_at = options.clock.now_ms();
    let started = Instant::now();
    let chromium = Chromium::launch(&options.chromium, options.concurrency.max(1) * 2).await?;
    let browser = chromium.version().await;
    let result = crawl_and_capture(&chromium, options, started, progress).await;
    chromium.close().await;
    let (mut pages, limits_reached) = result?;
    let judgement = classify(&mut pages, declaration, catalogue);
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        scanner: format!("kapsel-scan {}", env!("CARGO_PKG_VERSION")),
        browser,
        started_at,
        finished_at: options.clock.now_ms(),
        start_urls: options.start_urls.iter().map(Url::to_string).collect(),
        site: declaration.map(|d| d.site.to_owned()),
        pages,
        violations: judgement.violations,
        skipped_checks: judgement.skipped_checks,
        limits_reached,
        unseen_declarations: judgement.unseen_entries,
    })
}

async fn crawl_and_capture(
    chromium: &Chromium,
    options: &ScanOptions,
    started: Instant,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<(Vec<PageResult>, Vec<String>), ScanError> {
    let mut frontier = crawl::Frontier::new(&options.start_urls);
    for start in &options.start_urls {
        seed_frontier(chromium, options, start, &mut frontier).await?;
    }
    let mut in_flight = FuturesUnordered::new();
    let mut pages: Vec<(usize, PageResult)> = Vec::new();
    let mut started_pages = 0;
    let mut limits = Vec::new();
    loop {
        while in_flight.len() < options.concurrency.max(1) && started_pages < options.max_pages {
            if started.elapsed() >= options.time_budget {
                break;
            }
            let Some(url) = frontier.pop() else { break };
            let index = started_pages;
            started_pages += 1;
            in_flight.push(async move { (index, scan_page(chromium, url, options).await) });
        }
        let Some((index, (page, links))) = in_flight.next().await else {
            break;
        };
        for link in &links {
            frontier.push(link);
        }
        let url = page.url.clone();
        pages.push((index, page));
        progress(&Progress {
            done: pages.len(),
            queued: pages.len() + in_flight.len() + usize::from(!frontier.is_empty()),
            url,
        });
    }
    if !frontier.is_empty() {
        if started_pages >= options.max_pages {
            limits.push(format!(
                "stopped at the page limit ({} pages); more pages were found",
                options.max_pages
            ));
        } else {
            limits.push(format!(
                "stopped at the time budget ({} s); more pages were found",
                options.time_budget.as_secs()
            ));
        }
    }
    pages.sort_by_key(|(index, _)| *index);
    Ok((pages.into_iter().map(|(_, page)| page).collect(), limits))
}

/// Robots rules and sitemap URLs for one start URL, as the options ask.
async fn seed_frontier(
    chromium: &Chromium,
    options: &ScanOptions,
    start: &Url,
    frontier: &mut crawl::Frontier,
) -> Result<(), ScanError> {
    let mut sitemaps = Vec::new();
    if options.robots
        && let Some(robots) = crawl::fetch_text(chromium, start, "/robots.txt").await?
    {
        let (disallow, listed) = crawl::parse_robots(&robots);
        frontier.disallow(disallow);
        sitemaps.extend(listed);
    }
    if options.sitemap {
        if sitemaps.is_empty() {
            sitemaps.push("/sitemap.xml".to_owned());
        }
        for sitemap in sitemaps {
            if let Some(xml) = crawl::fetch_text(chromium, start, &sitemap).await? {
                // Locations should be absolute; relative ones are read against the site.
                for loc in crawl::parse_sitemap(&xml)
                    .iter()
                    .filter_map(|loc| start.join(loc).ok())
                {
                    frontier.push(loc.as_str());
                }
            }
        }
    }
    Ok(())
}

/// One page in every phase, in two fresh profiles at once (before → reject, and accept); the
/// links found on the page.
async fn scan_page(
    chromium: &Chromium,
    url: Url,
    options: &ScanOptions,
) -> (PageResult, Vec<String>) {
    let timing = options.timing;
    let clock = options.clock.as_ref();
    let token = options.scan_token.as_ref();
    let (first, accept) = if options.drive_choices {
        let (first, accept) = futures::join!(
            capture::visit(chromium, &url, Plan::BeforeThenReject, timing, clock, token),
            capture::visit(chromium, &url, Plan::Accept, timing, clock, token)
        );
        (first, Some(accept))
    } else {
        (
            capture::visit(chromium, &url, Plan::BeforeChoice, timing, clock, token).await,
            None,
        )
    };
    let first = match first {
        Ok(visit) => visit,
        Err(error) => {
            let page = PageResult {
                url: url.to_string(),
                kapsel_banner: false,
                error: Some(error.to_string()),
                phases: Vec::new(),
            };
            return (page, Vec::new());
        }
    };
    let mut outcomes = first.phases;
    match accept {
        None => outcomes.extend([Phase::AfterReject, Phase::AfterAccept].map(|phase| {
            (
                phase,
                Err("choices were not driven (--no-choices)".to_owned()),
            )
        })),
        Some(Ok(visit)) => outcomes.extend(visit.phases),
        Some(Err(error)) => outcomes.push((Phase::AfterAccept, Err(error.to_string()))),
    }
    let phases = Phase::ALL
        .into_iter()
        .map(|phase| {
            match outcomes
                .iter()
                .position(|(p, _)| *p == phase)
                .map(|i| outcomes.swap_remove(i).1)
            {
                Some(Ok(findings)) => PhaseResult {
                    phase,
                    not_driven: None,
                    findings,
                },
                Some(Err(reason)) => not_driven(phase, &reason),
                None => not_driven(phase, "not reached"),
            }
        })
        .collect();
    let page = PageResult {
        url: url.to_string(),
        kapsel_banner: first.kapsel_banner,
        error: None,
        phases,
    };
    (page, first.links)
}

fn not_driven(phase: Phase, reason: &str) -> PhaseResult {
    PhaseResult {
        phase,
        not_driven: Some(PhaseNotDriven {
            reason: reason.to_owned(),
        }),
        findings: Vec::new(),
    }
}
