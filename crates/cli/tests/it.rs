//! The CLI's one integration-test binary: each module runs the real `kapsel` binary.
//! Add a module under `tests/it/` and a line below.
// A test crate: a failing unwrap or panic is a readable test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod it {
    pub mod harness;

    mod check;
    mod crash;
    mod data_dir;
    mod datasets;
    mod disk_full;
    mod edge;
    mod erasure_crash;
    mod evidence;
    mod evidence_reads;
    mod gate;
    mod ledger;
    pub mod ledger_support;
    mod outbox;
    mod prune;
    mod requests;
    mod restart;
    mod retention;
    mod review;
    mod scan;
    mod scan_schedule;
    mod scan_token;
    mod serve;
    mod tamper;
}
