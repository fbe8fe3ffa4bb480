//! `manifest.json`: what the bundle is (case, right, site, instant) and every other file in it
//! with its size and SHA-256, so that the requester or an auditor can check that nothing was
//! changed or left out after Kapsel made it.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::files::BundleFile;
use super::{BundleError, BundleInput};

pub const MANIFEST: &str = "manifest.json";

/// One file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestEntry {
    pub path: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub format: &'static str,
    pub case_id: String,
    pub right: &'static str,
    pub site: String,
    pub lang: String,
    /// RFC 3339, UTC.
    pub generated_at: String,
    pub generated_ms: i64,
    /// Sorted by path; the manifest itself is not among them.
    pub files: Vec<ManifestEntry>,
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn entry(file: &BundleFile) -> ManifestEntry {
    ManifestEntry {
        path: file.path.clone(),
        size: file.bytes.len() as u64,
        sha256: sha256_hex(&file.bytes),
    }
}

/// An instant as RFC 3339 in UTC ("2026-03-03T12:00:00.000Z").
fn rfc3339(ms: i64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    kapsel_core::calendar::datetime_of(ms)
        .and_then(|moment| moment.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// The manifest of `files` (every file but the manifest), as pretty JSON ending in a newline.
pub fn manifest_file(input: &BundleInput, files: &[BundleFile]) -> Result<BundleFile, BundleError> {
    let mut entries: Vec<ManifestEntry> = files.iter().map(entry).collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format: "kapsel-access-bundle/v1",
        case_id: input.case_id.to_owned(),
        right: input.right.as_str(),
        site: input.site.to_owned(),
        lang: input.lang.to_string(),
        generated_at: rfc3339(input.generated_ms),
        generated_ms: input.generated_ms,
        files: entries,
    };
    let mut text = serde_json::to_string_pretty(&manifest)?;
    text.push('\n');
    Ok(BundleFile {
        path: MANIFEST.to_owned(),
        bytes: text.into_bytes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_instants_are_written_as_expected() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(rfc3339(1_772_539_200_000), "2026-03-03T12:00:00.000Z");
    }
}
