//! The store's one integration-test binary: the conformance story, run against SQLite always
//! and PostgreSQL when `KAPSEL_TEST_DATABASE_URL` is set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod it {
    pub mod backends;
    pub mod conformance;
    pub mod ledger_writer;
}
