//! The privacy file (`kapsel.toml`): the single source of truth for what a site may do.
//!
//! `model` holds the types as written in the file; `load` parses and validates a source and
//! reports every problem with file:line:column (`problem`, `locate`, `validate`); `query` has
//! the lookups consumers share; `duration` reads "13 months"; `revision_document` is what a
//! site's consent depends on, as stored per revision, and `revision` hashes it.

pub mod duration;
mod known_keys;
pub mod load;
pub mod locate;
pub mod model;
pub mod problem;
pub mod query;
pub mod revision;
pub mod revision_document;
pub mod validate;
mod validate_sites;
mod validate_texts;

pub use duration::{Duration, DurationUnit};
pub use load::load;
pub use model::*;
pub use problem::{Problem, Problems};
pub use query::default_necessary;
pub use revision::{Revision, site_revision};
pub use revision_document::RevisionDocument;
