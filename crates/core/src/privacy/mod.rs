//! The privacy file (`kapsel.toml`): the single source of truth for what a site may do.
//!
//! `model` holds the types as written in the file; `load` parses and validates a source and
//! reports every problem with file:line:column (`problem`, `locate`, `validate`); `query` has
//! the lookups consumers share; `duration` reads "13 months"; `revision_document` is what a
//! site's consent depends on, as stored per revision, and `revision` hashes it.

mod acknowledge;
pub mod dataset;
pub mod destination;
pub mod duration;
mod known_keys;
pub mod link;
pub mod load;
mod load_parts;
pub mod locate;
pub mod model;
pub mod problem;
pub mod query;
pub mod retention;
pub mod revision;
pub mod revision_document;
mod role;
pub mod validate;
pub mod validate_datasets;
pub mod validate_destinations;
pub mod validate_facts;
pub mod validate_retention;
mod validate_sites;
mod validate_texts;
pub mod warnings;

pub use duration::{Duration, DurationUnit};
pub use link::is_safe_link;
pub use load::load;
pub use model::*;
pub use problem::{Problem, Problems};
pub use query::default_necessary;
pub use revision::{Revision, site_revision};
pub use revision_document::RevisionDocument;
pub use validate_datasets::is_plain_identifier;
pub use validate_facts::valid_norwegian_org_number;
