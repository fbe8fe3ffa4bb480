//! Where a case stands, and which events may move it: received → verified → in progress →
//! completed | refused | withdrawn | lapsed, with a pause for clarification that returns to the
//! state it paused from. [`next_state`] is the one table of allowed transitions; the store
//! checks every append against it and the chain verifier replays it.
//!
//! Events that change no state (an extension, a note, a mail sent) pass through it too, so the
//! table also says where they are allowed: a note and a mail at any time, also after the case
//! has ended (the completion mail goes out after completion); an extension only while the case
//! is open.

use std::fmt;
use std::str::FromStr;

use super::event::CaseEventKind;
use super::step::StepAction;

/// The open state a paused case returns to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PausedFrom {
    Verified,
    InProgress,
}

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    /// Arrived; the identity is not verified yet.
    Received,
    Verified,
    InProgress,
    /// Waiting for the requester to clarify; the legal clock keeps running (Kapsel does not
    /// stop it: a question to the requester is not among the art. 12(3) grounds).
    Paused(PausedFrom),
    Completed,
    Refused,
    Withdrawn,
    /// Never verified in time.
    Lapsed,
}

impl CaseState {
    pub const ALL: [CaseState; 9] = [
        CaseState::Received,
        CaseState::Verified,
        CaseState::InProgress,
        CaseState::Paused(PausedFrom::Verified),
        CaseState::Paused(PausedFrom::InProgress),
        CaseState::Completed,
        CaseState::Refused,
        CaseState::Withdrawn,
        CaseState::Lapsed,
    ];

    /// The states a case ends in; they take no further state change.
    pub const TERMINAL: [CaseState; 4] = [
        CaseState::Completed,
        CaseState::Refused,
        CaseState::Withdrawn,
        CaseState::Lapsed,
    ];

    /// The stored name. A paused case names the state it returns to, so the stored row alone
    /// says where a `resumed` leads.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Received => "received",
            CaseState::Verified => "verified",
            CaseState::InProgress => "in_progress",
            CaseState::Paused(PausedFrom::Verified) => "paused_from_verified",
            CaseState::Paused(PausedFrom::InProgress) => "paused_from_in_progress",
            CaseState::Completed => "completed",
            CaseState::Refused => "refused",
            CaseState::Withdrawn => "withdrawn",
            CaseState::Lapsed => "lapsed",
        }
    }

    pub fn is_terminal(self) -> bool {
        CaseState::TERMINAL.contains(&self)
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`CaseState::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown case state {0:?}")]
pub struct UnknownState(pub String);

impl FromStr for CaseState {
    type Err = UnknownState;

    fn from_str(name: &str) -> Result<CaseState, UnknownState> {
        CaseState::ALL
            .into_iter()
            .find(|state| state.as_str() == name)
            .ok_or_else(|| UnknownState(name.to_string()))
    }
}

/// An event the case's state does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a case that is {from} cannot take the event {event}{}", to_text(*.to))]
pub struct TransitionError {
    pub from: CaseState,
    /// The refused event's kind name.
    pub event: &'static str,
    /// Where the event would have led, when it leads to one state whatever the start.
    pub to: Option<CaseState>,
}

fn to_text(to: Option<CaseState>) -> String {
    to.map(|to| format!(" (to {to})")).unwrap_or_default()
}

/// The state `event` moves a case in state `current` to, or why it may not.
pub fn next_state(current: CaseState, event: &CaseEventKind) -> Result<CaseState, TransitionError> {
    use CaseEventKind as E;
    use CaseState as S;
    let refused = |to| TransitionError {
        from: current,
        event: event.name(),
        to,
    };
    let open = !current.is_terminal();
    match (current, event) {
        (_, E::Note { .. } | E::MailSent { .. }) => Ok(current),
        (S::InProgress, E::Step { .. }) => Ok(current),
        // The bundle is fetched after the case is answered.
        (
            S::Completed,
            E::Step {
                action: StepAction::BundleDownloaded,
                ..
            },
        ) => Ok(current),
        (_, E::Extended { .. }) if open => Ok(current),
        (S::Received, E::Verified { .. }) => Ok(S::Verified),
        (S::Received, E::Lapsed) => Ok(S::Lapsed),
        (S::Verified, E::Started) => Ok(S::InProgress),
        (S::Verified, E::Paused { .. }) => Ok(S::Paused(PausedFrom::Verified)),
        (S::InProgress, E::Paused { .. }) => Ok(S::Paused(PausedFrom::InProgress)),
        (S::Paused(PausedFrom::Verified), E::Resumed) => Ok(S::Verified),
        (S::Paused(PausedFrom::InProgress), E::Resumed) => Ok(S::InProgress),
        (S::InProgress, E::Completed) => Ok(S::Completed),
        (_, E::Refused { .. }) if open => Ok(S::Refused),
        (_, E::Withdrawn) if open => Ok(S::Withdrawn),
        (_, E::Received { .. }) => Err(refused(Some(S::Received))),
        (_, E::Verified { .. }) => Err(refused(Some(S::Verified))),
        (_, E::Started) => Err(refused(Some(S::InProgress))),
        (_, E::Completed) => Err(refused(Some(S::Completed))),
        (_, E::Refused { .. }) => Err(refused(Some(S::Refused))),
        (_, E::Withdrawn) => Err(refused(Some(S::Withdrawn))),
        (_, E::Lapsed) => Err(refused(Some(S::Lapsed))),
        (_, E::Paused { .. } | E::Resumed | E::Extended { .. } | E::Step { .. }) => {
            Err(refused(None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::event::tests::every_kind;

    const PV: CaseState = CaseState::Paused(PausedFrom::Verified);
    const PI: CaseState = CaseState::Paused(PausedFrom::InProgress);

    /// Every allowed (state, event) → state, written out by hand; every pair not listed here
    /// must be refused.
    #[rustfmt::skip]
    const ALLOWED: &[(CaseState, &str, CaseState)] = {
        use CaseState::*;
        &[
            (Received, "verified", Verified),
            (Received, "extended", Received),
            (Received, "refused", Refused),
            (Received, "withdrawn", Withdrawn),
            (Received, "lapsed", Lapsed),
            (Verified, "started", InProgress),
            (Verified, "paused", PV),
            (Verified, "extended", Verified),
            (Verified, "refused", Refused),
            (Verified, "withdrawn", Withdrawn),
            (InProgress, "paused", PI),
            (InProgress, "extended", InProgress),
            (InProgress, "completed", Completed),
            (InProgress, "step", InProgress),
            (InProgress, "refused", Refused),
            (InProgress, "withdrawn", Withdrawn),
            (PV, "resumed", Verified),
            (PV, "extended", PV),
            (PV, "refused", Refused),
            (PV, "withdrawn", Withdrawn),
            (PI, "resumed", InProgress),
            (PI, "extended", PI),
            (PI, "refused", Refused),
            (PI, "withdrawn", Withdrawn),
        ]
    };

    #[test]
    fn the_transition_table_allows_exactly_the_listed_moves() {
        let mut allowed = 0;
        for from in CaseState::ALL {
            for event in every_kind() {
                let name = event.name();
                let expected = if matches!(name, "note" | "mail_sent") {
                    Some(from)
                } else {
                    ALLOWED
                        .iter()
                        .find(|(f, e, _)| *f == from && *e == name)
                        .map(|(_, _, to)| *to)
                };
                match (next_state(from, &event), expected) {
                    (Ok(to), Some(expected)) => {
                        assert_eq!(to, expected, "{from} + {name}");
                        allowed += 1;
                    }
                    (Err(err), None) => {
                        assert_eq!((err.from, err.event), (from, name));
                        assert!(err.to_string().contains(from.as_str()), "{err}");
                    }
                    (got, expected) => {
                        panic!("{from} + {name}: got {got:?}, expected {expected:?}")
                    }
                }
            }
        }
        assert_eq!(allowed, ALLOWED.len() + 2 * CaseState::ALL.len());
    }

    #[test]
    fn steps_happen_in_progress_and_only_the_download_after_completion() {
        let step = |action| CaseEventKind::Step {
            action,
            dataset: String::new(),
            result: String::new(),
        };
        for action in StepAction::ALL {
            assert_eq!(
                next_state(CaseState::InProgress, &step(action)),
                Ok(CaseState::InProgress)
            );
            let after = next_state(CaseState::Completed, &step(action));
            if action == StepAction::BundleDownloaded {
                assert_eq!(after, Ok(CaseState::Completed));
            } else {
                assert!(after.is_err(), "{action:?} after completion");
            }
            assert!(next_state(CaseState::Verified, &step(action)).is_err());
        }
    }

    #[test]
    fn ended_cases_take_notes_and_mails_but_no_state_change() {
        for from in CaseState::TERMINAL {
            for event in every_kind() {
                let result = next_state(from, &event);
                if matches!(
                    event,
                    CaseEventKind::Note { .. } | CaseEventKind::MailSent { .. }
                ) {
                    assert_eq!(result, Ok(from));
                } else {
                    assert!(result.is_err(), "{from} took {event}");
                }
            }
        }
    }

    #[test]
    fn a_refusal_names_where_the_event_would_have_led() {
        let err = next_state(CaseState::Completed, &CaseEventKind::Withdrawn).unwrap_err();
        assert_eq!(err.to, Some(CaseState::Withdrawn));
        assert_eq!(
            err.to_string(),
            "a case that is completed cannot take the event withdrawn (to withdrawn)"
        );
        let err = next_state(CaseState::Received, &CaseEventKind::Resumed).unwrap_err();
        assert_eq!(err.to, None);
    }

    #[test]
    fn every_state_round_trips_through_its_name() {
        for state in CaseState::ALL {
            assert_eq!(state.as_str().parse::<CaseState>(), Ok(state));
        }
        assert!("paused".parse::<CaseState>().is_err());
    }
}
