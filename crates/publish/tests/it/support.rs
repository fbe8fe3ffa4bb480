//! Helpers of these tests alone: the publish fixture files, the fixed publication time, the
//! three languages. The example file and the skip rule come from `kapsel_testkit`.

use std::path::PathBuf;

use kapsel_core::privacy::{PrivacyFile, load};
use kapsel_core::{Lang, Millis};

/// 2026-03-03 12:00 UTC: the "first published" time used on every rendered page.
pub const PUBLISHED_MS: Millis = 1_772_539_200_000;

fn load_path(path: PathBuf) -> PrivacyFile {
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    load(&source, &path.display().to_string())
        .unwrap_or_else(|problems| panic!("{} does not load:\n{problems:?}", path.display()))
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
