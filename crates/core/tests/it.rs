//! kapsel-core's one integration test binary: the privacy file as a user writes it — the shipped
//! example, broken files with their exact messages and positions, and the site revision.

// Test helpers outside #[test] functions may fail loudly too: a panic is a readable failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod it {
    mod broken;
    mod example;
    mod revision;
}
