//! The `kapsel` binary.
fn main() {}
