//! The scanner's integration tests, one binary: fixture websites served on loopback by the test,
//! scanned with the real Chromium. Without Chromium the tests print a loud SKIP, or fail when
//! `KAPSEL_REQUIRE_ALL=1`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod it {
    pub mod crawl;
    pub mod faulty;
    pub mod fixture;
    pub mod support;
}
