//! Helpers shared by the tests: loading the example and fixture files, the fixed publication time.

use std::path::PathBuf;

use kapsel_core::privacy::{PrivacyFile, load};
use kapsel_core::{Lang, Millis};

/// 2026-03-03 12:00 UTC: the "first published" time used on every rendered page.
pub const PUBLISHED_MS: Millis = 1_772_539_200_000;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn load_path(path: PathBuf) -> PrivacyFile {
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    load(&source, &path.display().to_string())
        .unwrap_or_else(|problems| panic!("{} does not load:\n{problems:?}", path.display()))
}

pub fn example_source() -> String {
    std::fs::read_to_string(repo_root().join("examples/kapsel.toml")).unwrap()
}

pub fn example() -> PrivacyFile {
    load_path(repo_root().join("examples/kapsel.toml"))
}

pub fn fixture(name: &str) -> PrivacyFile {
    load_path(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
}

pub fn langs() -> [Lang; 3] {
    [Lang::new("nb"), Lang::new("nn"), Lang::new("en")]
}

/// Whether tests that need something absent must fail instead of skipping.
pub fn require_all() -> bool {
    std::env::var("KAPSEL_REQUIRE_ALL").is_ok_and(|v| v == "1")
}
