//! One module per `kapsel` subcommand; each exposes its clap `Args` and a `run` returning an exit code.

pub mod check;
pub mod ledger;
pub mod migrate;
pub mod serve;
