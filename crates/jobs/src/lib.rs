//! Background work that must also run without HTTP (DESIGN.md: `crates/jobs`): the retention
//! engine's runs, which the server starts on its `[jobs]` schedule and `kapsel retention run`
//! starts by hand. Both go through [`retention::Runner`], so a run is the same work with the
//! same records whoever starts it.

pub mod ledger_prune;
pub mod own_data;
pub mod retention;

pub use own_data::OwnDisposal;
pub use retention::{RulePlanReport, RuleRunReport, RunError, RunOptions, Runner, encode_key};
