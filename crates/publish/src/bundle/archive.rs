//! Writing the bundle's files into one ZIP, byte for byte the same for the same files and time:
//! entries sorted by path, every entry stamped with the bundle's own instant (Europe/Oslo local
//! time, as ZIP times are local), Unix mode 0644, deflate at the default level, no extra fields
//! and no comment. An auditor who unpacks it can hash each file against `manifest.json`.

use std::io::{Cursor, Write};

use kapsel_core::Millis;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipWriter};

use super::BundleError;
use super::files::BundleFile;

/// The ZIP time of `at` in Europe/Oslo; 1980-01-01 (ZIP's first day) outside ZIP's range.
pub fn zip_time(at: Millis) -> DateTime {
    let local = kapsel_core::calendar::oslo_offset_at(at).and_then(|offset| {
        let shifted = at.checked_add(i64::from(offset.whole_seconds()) * 1000)?;
        kapsel_core::calendar::datetime_of(shifted)
    });
    local
        .and_then(|moment| {
            let year = u16::try_from(moment.year()).ok()?;
            DateTime::from_date_and_time(
                year,
                u8::from(moment.month()),
                moment.day(),
                moment.hour(),
                moment.minute(),
                moment.second(),
            )
            .ok()
        })
        .unwrap_or_default()
}

/// The ZIP of `files`, in path order whatever order they come in.
pub fn write_zip(files: &[BundleFile], at: Millis) -> Result<Vec<u8>, BundleError> {
    let mut sorted: Vec<&BundleFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(zip_time(at))
        .system(System::Unix)
        .unix_permissions(0o644);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for file in sorted {
        zip.start_file(file.path.as_str(), options)
            .map_err(|e| BundleError::Zip(format!("{}: {e}", file.path)))?;
        zip.write_all(&file.bytes)
            .map_err(|e| BundleError::Zip(format!("{}: {e}", file.path)))?;
    }
    let cursor = zip.finish().map_err(|e| BundleError::Zip(e.to_string()))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_times_are_oslo_local_time() {
        // 2026-03-03 12:00:00 UTC is 13:00 in Oslo (CET, winter).
        let winter = zip_time(1_772_539_200_000);
        assert_eq!(
            (winter.year(), winter.month(), winter.day(), winter.hour()),
            (2026, 3, 3, 13)
        );
        // 2026-07-01 12:00:00 UTC is 14:00 in Oslo (CEST, summer).
        let summer = zip_time(1_782_907_200_000);
        assert_eq!((summer.month(), summer.day(), summer.hour()), (7, 1, 14));
        // Before 1980 a ZIP cannot say the time: its first day instead.
        assert_eq!(zip_time(0), DateTime::default());
    }
}
