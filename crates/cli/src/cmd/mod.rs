//! One module per `kapsel` subcommand; each exposes its clap `Args` and a `run` returning an exit code.

pub mod catalogue;
pub mod check;
pub mod datasets;
pub mod declaration;
pub mod diff;
pub mod gate;
pub mod ledger;
pub mod migrate;
pub mod notice;
pub mod outbox;
pub mod print;
pub mod requests;
pub mod requests_act;
pub mod retention;
pub mod ropa;
pub mod scan;
pub mod scan_schedule;
pub mod serve;
pub mod suggest;
pub mod user;
