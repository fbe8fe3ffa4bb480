//! The data files of the bundle: per dataset and table a JSON array of the found rows and the
//! same rows as CSV, and the consent records as JSON Lines. Paths are `datasets/<dataset>/
//! <table>.json|.csv` and `consent/records.jsonl`; only tables with rows get files.
//!
//! The JSON holds every value exactly as the database gave it. The CSV is for spreadsheets: a
//! value a spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return, and not a plain number) gets a leading apostrophe, as OWASP advises against
//! CSV injection, so opening the file never runs anything. Quoting is [`crate::csv`]'s.

use serde_json::{Map, Value};

use kapsel_core::desk::{AccessResult, TableRows};

use super::BundleError;

/// One file of the bundle: its path inside the ZIP and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The path of the consent records inside the bundle.
pub const CONSENT_RECORDS: &str = "consent/records.jsonl";

/// A name as one path segment: ASCII letters, digits, `_`, `-` and `.` kept, anything else `_`,
/// never empty or a dot-only segment. Validated dataset and table names pass unchanged.
pub fn segment(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if mapped.chars().all(|c| c == '.') {
        format!("_{mapped}")
    } else {
        mapped
    }
}

/// `datasets/<dataset>/<table>` without the extension.
pub fn table_stem(dataset: &str, table: &str) -> String {
    format!("datasets/{}/{}", segment(dataset), segment(table))
}

/// A cell as text: strings as they are, null empty, anything else (numbers, booleans from a
/// hand-built result) in its JSON form.
fn cell_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Whether the text is a plain decimal number ("-12", "+4740000001", "3.5"), which a
/// spreadsheet reads as a number and never as a formula.
fn is_plain_number(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    !whole.is_empty()
        && whole.chars().all(|c| c.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
}

/// The value as a spreadsheet may safely read it: a leading apostrophe before a would-be
/// formula, anything else unchanged.
pub fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(text);
    if risky {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// RFC 4180 CSV of one table: the declared fields as header, one CRLF-ended line per row.
/// Returns the text and whether any value was given an apostrophe.
pub fn table_csv(table: &TableRows) -> (String, bool) {
    let mut changed = false;
    let mut out = crate::csv::row(table.columns.iter().map(|c| spreadsheet_safe(c)));
    out.push_str("\r\n");
    for row in &table.rows {
        let cells: Vec<String> = table
            .columns
            .iter()
            .map(|column| {
                let text = cell_text(row.get(column));
                let safe = spreadsheet_safe(&text);
                changed |= safe != text.as_str();
                safe.into_owned()
            })
            .collect();
        out.push_str(&crate::csv::row(cells));
        out.push_str("\r\n");
    }
    (out, changed)
}

/// The rows as a pretty JSON array of objects, each with every declared field (null where the
/// row has no value).
pub fn table_json(table: &TableRows) -> Result<String, BundleError> {
    let rows: Vec<Map<String, Value>> = table
        .rows
        .iter()
        .map(|row| {
            table
                .columns
                .iter()
                .map(|column| {
                    (
                        column.clone(),
                        row.get(column).cloned().unwrap_or(Value::Null),
                    )
                })
                .collect()
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&rows)?;
    text.push('\n');
    Ok(text)
}

/// The consent records, one compact JSON object per line.
pub fn records_jsonl(records: &[Value]) -> Result<String, BundleError> {
    let mut out = String::new();
    for record in records {
        out.push_str(&serde_json::to_string(record)?);
        out.push('\n');
    }
    Ok(out)
}

/// What the data files hold, for the summary and the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataFiles {
    pub files: Vec<BundleFile>,
    /// Whether any CSV value was given an apostrophe.
    pub csv_neutralised: bool,
}

/// Every data file of the bundle, sorted by path.
pub fn data_files(datasets: &[AccessResult], records: &[Value]) -> Result<DataFiles, BundleError> {
    let mut out = DataFiles::default();
    for result in datasets {
        for table in result.tables.iter().filter(|t| !t.rows.is_empty()) {
            let stem = table_stem(&result.dataset, &table.table);
            let (csv, changed) = table_csv(table);
            out.csv_neutralised |= changed;
            out.files.push(BundleFile {
                path: format!("{stem}.json"),
                bytes: table_json(table)?.into_bytes(),
            });
            out.files.push(BundleFile {
                path: format!("{stem}.csv"),
                bytes: csv.into_bytes(),
            });
        }
    }
    if !records.is_empty() {
        out.files.push(BundleFile {
            path: CONSENT_RECORDS.to_owned(),
            bytes: records_jsonl(records)?.into_bytes(),
        });
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_get_an_apostrophe_and_numbers_do_not() {
        for risky in [
            "=1+1",
            "=HYPERLINK(\"http://x\")",
            "+cmd",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(spreadsheet_safe(risky), format!("'{risky}"), "{risky:?}");
        }
        for plain in [
            "",
            "abc",
            "-12",
            "+4740000001",
            "3.5",
            "-0.25",
            "a=b",
            "K-1001",
        ] {
            assert_eq!(spreadsheet_safe(plain), plain, "{plain:?}");
        }
        for not_number in ["-", "+", "-1.", "-.5", "+1e5", "-1-1"] {
            assert!(
                spreadsheet_safe(not_number).starts_with('\''),
                "{not_number:?}"
            );
        }
    }

    #[test]
    fn path_segments_stay_inside_their_folder() {
        assert_eq!(segment("customers"), "customers");
        assert_eq!(segment("../etc"), ".._etc");
        assert_eq!(segment(".."), "_..");
        assert_eq!(segment("a/b\\c"), "a_b_c");
        assert_eq!(segment(""), "_");
    }
}
