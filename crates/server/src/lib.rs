//! kapsel-server
