//! kapsel-scan
