//! The CLI's one integration-test binary: each module runs the real `kapsel` binary.
//! Add a module under `tests/it/` and a line below.

mod it {
    pub mod harness;

    mod check;
    mod crash;
    mod scan;
    mod serve;
}
