//! The server's one integration-test binary: each module starts real servers on 127.0.0.1:0 with
//! a temporary SQLite file and a clock the test moves (`kapsel_testkit::TestServer`), and talks
//! HTTP to them.
// A test crate: a failing unwrap or panic is a readable test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod it {
    mod clock;
    mod connections;
    mod consent;
    mod console;
    mod console_pages;
    mod console_work;
    mod contradictions;
    mod cors;
    mod desk;
    mod desk_admin;
    mod desk_work;
    mod gate;
    mod hostile;
    mod lineage;
    mod metrics;
    mod openapi;
    mod protocol;
    mod proxy;
    mod ratelimit;
    mod retention;
    mod scan_mark;
    mod signing;
}
