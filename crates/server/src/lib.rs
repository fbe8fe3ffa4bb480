//! kapsel-server
pub mod banner;
