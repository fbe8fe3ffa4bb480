//! Kapsel's domain, free of I/O: the privacy-file model and its validation, site revisions,
//! consent records and their hash chain, texts per language, calendar arithmetic, secrets, and
//! time and randomness as parameters.
//!
//! Everything here is a pure function of its inputs. Reading files, talking to databases and
//! serving HTTP live in the crates that depend on this one.

pub mod calendar;
pub mod canonical;
pub mod catalogue;
pub mod clock;
pub mod consent;
pub mod console;
pub mod deadline;
pub mod desk;
pub mod gate;
pub mod privacy;
pub mod random;
pub mod retention;
pub mod scan_classify;
pub mod scan_report;
pub mod secret;
pub mod signing;
pub mod text;

pub use clock::{Clock, FixedClock, ManualClock, Millis, SystemClock};
pub use random::{OsRandom, Random};
pub use secret::Secret;
pub use text::{Lang, Text};
