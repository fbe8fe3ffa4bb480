//! kapsel-publish integration tests: one binary, modules under `tests/it/`.
//! Snapshots of every page and export for `examples/kapsel.toml` in nb, nn and en; the GDPR
//! art. 13 and 30 items per activity; change-log diffs; the seed policies 002 and 004 rebuilt;
//! the catalogue against the Open Cookie Database CSV; the access bundle unpacked and checked.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod it {
    pub mod support;

    mod articles;
    mod bundle;
    mod catalogue;
    mod changes;
    mod diff_props;
    mod links;
    mod pages;
    mod revision_documents;
    mod seeds;
}
