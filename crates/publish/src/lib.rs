//! Generated documents: the cookie declaration, the privacy notice (art. 13/14), the record of
//! processing activities (art. 30) and the change log, built from a loaded `PrivacyFile`.
//!
//! Each document is first plain serde data (`declaration`, `notice`, `ropa`, `changelog`), so
//! its JSON export is `serde_json` of that data; `render` turns the data into HTML pages,
//! an embeddable fragment, Markdown and CSV with templates embedded in the binary. The texts
//! around the data live in `words` (nb, nn, en). No I/O here: callers read files and serve pages.
//! `bundle` writes the answer to an access or portability request: a ZIP of the found rows with
//! a summary in the requester's language.

pub mod bundle;
pub mod changelog;
pub mod changes;
pub mod csv;
pub mod declaration;
pub mod notice;
pub mod projection;
pub mod render;
pub mod ropa;
pub mod words;

use kapsel_core::privacy::PrivacyFile;
use kapsel_core::{Lang, Text};

pub use bundle::{BundleError, BundleInput, access_bundle, access_summary};
pub use changelog::{ChangeLog, ChangeLogRevision, change_log};
pub use changes::{Change, diff};
pub use declaration::{CookieDeclaration, cookie_declaration};
pub use notice::{PrivacyNotice, privacy_notice};
pub use projection::file_from_projection;
pub use render::{PAGE_STYLE, Page, Publisher};
pub use ropa::{RecordOfProcessing, record_of_processing};

/// Why a document could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("unknown site `{0}`: it is not among the privacy file's [[sites]]")]
    UnknownSite(String),
    #[error("unknown language `{lang}` (parameter `lang`): the privacy file declares {declared}")]
    UnknownLanguage { lang: String, declared: String },
    #[error("rendering template `{template}` failed: {message}")]
    Template { template: String, message: String },
    #[error("JSON export failed: {0}")]
    Json(#[from] serde_json::Error),
}

/// The language must be one the file declares; texts are complete only in those.
pub(crate) fn check_lang(file: &PrivacyFile, lang: &Lang) -> Result<(), PublishError> {
    match file.declared_language(lang.as_str()) {
        Some(_) => Ok(()),
        None => Err(PublishError::UnknownLanguage {
            lang: lang.to_string(),
            declared: file.language_list(),
        }),
    }
}

/// A privacy-file text in `lang`, falling back along the file's language order.
pub(crate) fn localized(text: &Text, lang: &Lang, file: &PrivacyFile) -> String {
    text.get(lang, &file.languages)
        .unwrap_or_default()
        .to_owned()
}
