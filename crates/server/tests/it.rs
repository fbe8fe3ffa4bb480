//! The server's one integration-test binary: each module starts real servers on 127.0.0.1:0 with
//! a temporary SQLite file and talks HTTP to them.

mod it {
    pub mod harness;

    mod consent;
    mod cors;
    mod hostile;
    mod metrics;
    mod openapi;
    mod ratelimit;
}
