//! The privacy file (`kapsel.toml`): the single source of truth for what a site may do.
//!
//! `model` holds the types as written in the file. Loading (TOML parsing, every problem with
//! file:line:column), validation and the site revision live beside it in their own modules.

pub mod model;

pub use model::*;
