//! Helpers shared by Kapsel's tests, so that no crate copies its own: the example privacy file,
//! the backends a test runs on (a fresh SQLite file always; a fresh PostgreSQL schema when
//! `KAPSEL_TEST_DATABASE_URL` names a server), the loud-skip rule of `KAPSEL_REQUIRE_ALL`, and a
//! real server on a clock the test moves (`TestServer`).
//!
//! Dev-only: no crate depends on it outside `[dev-dependencies]`. Features keep light crates'
//! tests light: `store` adds `PgSchema::open`, `server` adds `TestServer` (and builds the server).
// Test helpers: a failing unwrap or panic is a readable test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod example;
pub mod postgres;
#[cfg(feature = "server")]
pub mod server;
pub mod shop;
pub mod skip;

pub use example::{EXAMPLE, example_file, example_source, repo_root};
pub use postgres::PgSchema;
#[cfg(feature = "server")]
pub use server::{START_MS, TestServer, assert_problem};
pub use shop::{PAGE_VIEWS_DECLARATION, Shop, shop_privacy_source};
pub use skip::{require_all, skip};
