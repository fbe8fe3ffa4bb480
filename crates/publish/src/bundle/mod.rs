//! The access bundle (GDPR arts. 15 and 20): one ZIP with what a request found and what the
//! privacy file says about it, in the requester's language. No I/O and no clock: the caller
//! gives the found rows, the consent records and the instant, and stores or serves the bytes.
//!
//! | file | what it holds |
//! |---|---|
//! | `index.html` | the summary: what was found, art. 15(1)(a)–(h) and 15(2) for the activities it serves, the rights, the complaint, the files |
//! | `datasets/<dataset>/<table>.json` | the table's found rows, every value exact |
//! | `datasets/<dataset>/<table>.csv` | the same rows for spreadsheets (formulas neutralised) |
//! | `consent/records.jsonl` | the consent records tied to the requester's receipts, when any |
//! | `manifest.json` | every other file with its size and SHA-256 |
//!
//! The same input gives the same bytes: files sorted, entries stamped with `generated_ms`.
//!
//! | module | owns |
//! |---|---|
//! | `files` | the data files and their paths; CSV neutralising |
//! | `summary` | which tables held rows and which activities their fields serve |
//! | `page` | the summary's HTML: frame, what was found, the files |
//! | `purposes` | the summary's art. 15(1) items per activity, the rights, the complaint |
//! | `texts` | the summary's own words in nb, nn, en |
//! | `html` | escaping |
//! | `manifest` | `manifest.json` and SHA-256 |
//! | `archive` | the deterministic ZIP |

mod archive;
mod files;
mod html;
mod manifest;
mod page;
mod purposes;
mod summary;
mod texts;

use serde_json::Value;

use kapsel_core::desk::{AccessResult, Right};
use kapsel_core::privacy::PrivacyFile;
use kapsel_core::{Lang, Millis};

pub use files::{BundleFile, CONSENT_RECORDS, spreadsheet_safe};
pub use html::escape as escape_html;
pub use manifest::{MANIFEST, Manifest, ManifestEntry, sha256_hex};

use crate::PublishError;

/// The summary's path in the bundle.
pub const SUMMARY: &str = "index.html";

/// What a bundle is made from.
#[derive(Debug, Clone, Copy)]
pub struct BundleInput<'a> {
    pub file: &'a PrivacyFile,
    pub site: &'a str,
    pub lang: &'a Lang,
    pub case_id: &'a str,
    /// [`Right::Access`] or [`Right::Portability`].
    pub right: Right,
    /// The instant the bundle is made; the summary states its date (Europe/Oslo) and every ZIP
    /// entry carries it.
    pub generated_ms: Millis,
    /// One per SQL dataset searched.
    pub datasets: &'a [AccessResult],
    /// Ids of datasets answered outside this bundle (webhook, manual), named in the summary as
    /// handled separately.
    pub other_datasets: &'a [String],
    /// The consent-ledger records tied to the requester's receipts, as exported JSON objects.
    pub consent_records: &'a [Value],
}

/// Why a bundle could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("a {0} request is not answered with a bundle: only access and portability are")]
    NotAnExport(Right),
    #[error("dataset `{0}` is not among the privacy file's [[datasets]]")]
    UnknownDataset(String),
    #[error("table `{table}` is not declared in dataset `{dataset}`")]
    UnknownTable { dataset: String, table: String },
    #[error("column `{column}` of table `{table}` in dataset `{dataset}` is not a declared field")]
    UnknownField {
        dataset: String,
        table: String,
        column: String,
    },
    #[error("writing the ZIP failed: {0}")]
    Zip(String),
    #[error("JSON export failed: {0}")]
    Json(#[from] serde_json::Error),
}

/// The results must be of the file's declared datasets, tables and fields, so that the summary
/// can say what each field is and what it serves.
fn check_results(file: &PrivacyFile, results: &[AccessResult]) -> Result<(), BundleError> {
    for result in results {
        let spec = file
            .datasets
            .iter()
            .find(|d| d.id == result.dataset)
            .ok_or_else(|| BundleError::UnknownDataset(result.dataset.clone()))?;
        for rows in &result.tables {
            let table = spec
                .table(&rows.table)
                .ok_or_else(|| BundleError::UnknownTable {
                    dataset: result.dataset.clone(),
                    table: rows.table.clone(),
                })?;
            if let Some(column) = rows.columns.iter().find(|c| !table.fields.contains_key(*c)) {
                return Err(BundleError::UnknownField {
                    dataset: result.dataset.clone(),
                    table: rows.table.clone(),
                    column: column.clone(),
                });
            }
        }
    }
    Ok(())
}

fn summary_with(input: &BundleInput, data: &files::DataFiles) -> String {
    let lang = summary::summary_lang(input.file, input.lang);
    let tables = summary::found_tables(input);
    let served = summary::served_activities(input.file, &tables);
    // The notice of the site gives the rights' wording, the complaint and the authority; a
    // site the file does not declare (only for an unchecked input) borrows the first site's,
    // which differs only in the site's name.
    let notice = crate::privacy_notice(input.file, input.site, &lang)
        .ok()
        .or_else(|| {
            let first = input.file.sites.first()?;
            crate::privacy_notice(input.file, &first.id, &lang).ok()
        });
    page::summary_page(&page::PageInput {
        input,
        lang: &lang,
        t: texts::Texts::of(&lang, input.right),
        tables: &tables,
        served: &served,
        data,
        notice: notice.as_ref(),
    })
}

/// The HTML summary alone (the bundle's `index.html`). For a language the file does not
/// declare it is written in the file's first language.
pub fn access_summary(input: &BundleInput) -> String {
    // Serialising `serde_json::Value`s cannot fail, so the files are always there; should it
    // ever, the summary lists none rather than inventing any.
    let data = files::data_files(input.datasets, input.consent_records).unwrap_or_default();
    summary_with(input, &data)
}

/// The bundle as ZIP bytes: the summary, the data files and the manifest.
pub fn access_bundle(input: &BundleInput) -> Result<Vec<u8>, BundleError> {
    if !matches!(input.right, Right::Access | Right::Portability) {
        return Err(BundleError::NotAnExport(input.right));
    }
    if input.file.site(input.site).is_none() {
        return Err(PublishError::UnknownSite(input.site.to_owned()).into());
    }
    crate::check_lang(input.file, input.lang)?;
    check_results(input.file, input.datasets)?;
    let data = files::data_files(input.datasets, input.consent_records)?;
    let mut all = data.files.clone();
    all.push(BundleFile {
        path: SUMMARY.to_owned(),
        bytes: summary_with(input, &data).into_bytes(),
    });
    let manifest = manifest::manifest_file(input, &all)?;
    all.push(manifest);
    archive::write_zip(&all, input.generated_ms)
}
