//! The request desk's case model: a data-subject request ([`Right`]), where it stands
//! ([`CaseState`] and the one transition table [`next_state`]), what happened to it
//! ([`CaseEvent`], hash-chained per case in the consent ledger's encoding), the dates it is held
//! to ([`CaseDates`], from [`crate::deadline`]), and the pure steps that open and advance a case.
//!
//! Storing cases is `kapsel_store`'s `cases` concern; mail, connectors and pages are built on
//! top. Nothing here reads a clock: every instant is a parameter.
//!
//! | file | owns |
//! |---|---|
//! | `access` | what an access request found in one dataset |
//! | `right` | the rights and their stored names |
//! | `state` | the states and the transition table |
//! | `step` | what carrying a case out records, by action |
//! | `event` | event kinds, their stored details, sealing |
//! | `hash` | `kapsel-case-event/v1` and its SHA-256 |
//! | `chain` | verifying a case's history |
//! | `dates` | a case's deadlines and their ISO form |
//! | `case` | the case, [`open`] and [`advance`] |
//! | `token` | the requester's links: issued, hashed, single-use or not |

pub mod access;
pub mod case;
pub mod chain;
pub mod dates;
pub mod event;
pub mod hash;
pub mod right;
pub mod state;
pub mod step;
pub mod token;

pub use access::{AccessResult, TableRows};
pub use case::{Case, EventRefused, NewCase, OpenRefused, advance, open};
pub use chain::{CaseBreakKind, CaseChainBreak, CaseChainSummary, CaseChainVerifier};
pub use dates::{CaseDates, iso_date, parse_iso_date};
pub use event::{
    CaseEvent, CaseEventKind, Detail, ErasureGround, NewCaseEvent, UnknownEvent, VerifyMethod,
};
pub use right::{Right, UnknownRight};
pub use state::{CaseState, PausedFrom, TransitionError, UnknownState, next_state};
pub use step::StepAction;
