//! kapsel-publish
