//! The project's example privacy file (`examples/kapsel.toml`), which most tests run against.

use std::path::PathBuf;

use kapsel_core::privacy::PrivacyFile;

/// The example privacy file's path.
pub const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/kapsel.toml");

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn example_source() -> String {
    std::fs::read_to_string(EXAMPLE).expect("examples/kapsel.toml is readable")
}

/// The example, loaded and validated; panics with every problem when it is invalid.
pub fn example_file() -> PrivacyFile {
    kapsel_core::privacy::load(&example_source(), "kapsel.toml")
        .unwrap_or_else(|problems| panic!("the example privacy file is invalid:\n{problems}"))
}
