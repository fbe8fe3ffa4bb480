//! Benchmark: pages per minute for a 50-page fixture site served on loopback, scanned with real
//! Chromium in all three consent phases, beside a baseline that scans the same pages in the
//! before-choice phase only, in the same run. Run with `bench/scan/run.sh`.
//!
//! `PAGES` (default 50), `CONCURRENCY` (default 3, pages at a time) and `QUIET_MS` (default 300,
//! how long the network must be idle) can be set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A benchmark measures wall time: `Instant::now` is what it is for.
#![allow(clippy::disallowed_methods)]

#[path = "../tests/it/fixture.rs"]
mod fixture;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kapsel_core::SystemClock;
use kapsel_core::catalogue::Catalogue;
use kapsel_scan::{ScanOptions, scan};
use url::Url;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(
    site: &fixture::FixtureSite,
    pages: usize,
    concurrency: usize,
    drive_choices: bool,
) -> (f64, usize, usize) {
    let mut options = ScanOptions::new(
        vec![Url::parse(&site.url("/")).unwrap()],
        Arc::new(SystemClock),
    );
    options.max_pages = pages;
    options.concurrency = concurrency;
    options.drive_choices = drive_choices;
    options.time_budget = Duration::from_secs(600);
    options.timing.quiet = Duration::from_millis(env_number("QUIET_MS", 300) as u64);
    let started = Instant::now();
    let report = scan(&options, None, &Catalogue::builtin(), &|_| {})
        .await
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let driven = report
        .pages
        .iter()
        .flat_map(|p| &p.phases)
        .filter(|p| p.not_driven.is_none())
        .count();
    assert!(
        report.pages.iter().all(|p| p.error.is_none()),
        "a page failed: {report:#?}"
    );
    (seconds, report.pages.len(), driven)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let pages = env_number("PAGES", 50);
    let concurrency = env_number("CONCURRENCY", 3);
    let site = fixture::serve(fixture::clean_site(pages)).await;
    println!(
        "scan bench: {pages}-page fixture site on {}, concurrency {concurrency}",
        site.url("/")
    );
    println!("| run | pages | phases driven | seconds | pages/min | phase visits/min |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (label, choices) in [
        ("baseline: before choice only", false),
        ("kapsel scan: all three phases", true),
    ] {
        let (seconds, scanned, driven) = run(&site, pages, concurrency, choices).await;
        println!(
            "| {label} | {scanned} | {driven} | {seconds:.1} | {:.0} | {:.0} |",
            scanned as f64 * 60.0 / seconds,
            driven as f64 * 60.0 / seconds
        );
    }
}
