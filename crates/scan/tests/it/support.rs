//! Helpers: finding Chromium (or skipping loudly), scan options tuned for loopback fixtures.

use std::sync::Arc;
use std::time::Duration;

use kapsel_core::SystemClock;
use kapsel_scan::{ScanOptions, chromium_path};
use url::Url;

/// Whether Chromium is here; prints a SKIP line when not, and panics when
/// `KAPSEL_REQUIRE_ALL=1` demands every test to run.
pub fn chromium_available(test: &str) -> bool {
    if chromium_path().exists() {
        return true;
    }
    kapsel_testkit::skip(
        test,
        &format!("no Chromium at {}", chromium_path().display()),
    );
    false
}

pub fn options(start: &str, pages: usize) -> ScanOptions {
    // Real Chromium sets real expiry dates: cookie lifetimes are counted from the wall clock.
    let mut options = ScanOptions::new(vec![Url::parse(start).unwrap()], Arc::new(SystemClock));
    options.max_pages = pages;
    options.time_budget = Duration::from_secs(120);
    options
}
