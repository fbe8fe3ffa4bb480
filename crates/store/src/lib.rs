//! kapsel-store
