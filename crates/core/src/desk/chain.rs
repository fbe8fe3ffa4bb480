//! Verifying a case's history: every event's hash recomputes, links to its predecessor's hash,
//! the sequence numbers run 1, 2, 3, … without gaps, the history opens with `received`, and
//! every event is one the state table allowed at that point. Together with the head the store
//! keeps beside the events (seq, hash and state), this proves that no event was changed,
//! reordered, inserted or removed, also at the end.

use std::fmt;

use super::event::{CaseEvent, CaseEventKind};
use super::state::{CaseState, TransitionError, next_state};
use crate::consent::GENESIS_HASH;

/// A history that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseChainSummary {
    pub case_id: String,
    pub events: u64,
    pub head_seq: i64,
    /// The last event's hash, or the genesis hash for an empty history.
    pub head_hash: String,
    /// The state the events lead to; `None` for an empty history.
    pub state: Option<CaseState>,
}

/// Where and how a history is broken: the first broken event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("case {case_id}: event seq {seq}: {problem}")]
pub struct CaseChainBreak {
    pub case_id: String,
    pub seq: i64,
    pub problem: CaseBreakKind,
}

/// The kind of damage found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseBreakKind {
    /// The event's stored hash does not match its content: the event was changed.
    HashMismatch { stored: String, computed: String },
    /// The event does not point at its predecessor's hash: reordered, replaced or inserted.
    BrokenLink {
        expected_prev: String,
        found_prev: String,
    },
    /// A sequence number is missing: events were removed or reordered.
    SeqGap { expected: i64 },
    /// The event belongs to another case.
    WrongCase { found: String },
    /// The first event is not `received`.
    NotOpened { found: &'static str },
    /// The event is one the state table refuses at this point.
    Refused(TransitionError),
    /// The history ends elsewhere than the head the store recorded: events were removed from
    /// the end, or the last one was rewritten.
    HeadMismatch {
        recorded_seq: i64,
        recorded_hash: String,
        found_seq: i64,
        found_hash: String,
    },
    /// The recorded state is not where the events lead: the case row was changed.
    StateMismatch {
        recorded: String,
        replayed: Option<CaseState>,
    },
    /// The stored row cannot be read as an event (a column holds what no writer writes).
    Unreadable { reason: String },
}

impl fmt::Display for CaseBreakKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseBreakKind::HashMismatch { stored, computed } => write!(
                f,
                "content was changed: stored hash {stored} but the content hashes to {computed}"
            ),
            CaseBreakKind::BrokenLink {
                expected_prev,
                found_prev,
            } => write!(
                f,
                "link broken: prev_hash is {found_prev} but the previous event's hash is {expected_prev}"
            ),
            CaseBreakKind::SeqGap { expected } => write!(
                f,
                "sequence gap: expected seq {expected} here, so events were removed or reordered"
            ),
            CaseBreakKind::WrongCase { found } => write!(f, "event belongs to case {found}"),
            CaseBreakKind::NotOpened { found } => {
                write!(f, "the history opens with {found}, not with received")
            }
            CaseBreakKind::Refused(err) => write!(f, "an event the desk never allows: {err}"),
            CaseBreakKind::HeadMismatch {
                recorded_seq,
                recorded_hash,
                found_seq,
                found_hash,
            } => write!(
                f,
                "the case records head seq {recorded_seq} with hash {recorded_hash}, but the \
                 history ends at seq {found_seq} with hash {found_hash}: events were removed \
                 from the end or rewritten"
            ),
            CaseBreakKind::StateMismatch { recorded, replayed } => write!(
                f,
                "the case records state {recorded}, but its events lead to {}",
                replayed.map_or("no state", CaseState::as_str)
            ),
            CaseBreakKind::Unreadable { reason } => {
                write!(
                    f,
                    "the stored row cannot be read ({reason}): it was changed"
                )
            }
        }
    }
}

/// Checks the events of one case one at a time, in seq order.
#[derive(Debug, Clone)]
pub struct CaseChainVerifier {
    case_id: String,
    events: u64,
    next_seq: i64,
    head_hash: String,
    state: Option<CaseState>,
}

impl CaseChainVerifier {
    pub fn new(case_id: &str) -> CaseChainVerifier {
        CaseChainVerifier {
            case_id: case_id.to_string(),
            events: 0,
            next_seq: 1,
            head_hash: GENESIS_HASH.to_string(),
            state: None,
        }
    }

    /// A break at `seq` of this case.
    pub fn broken(&self, seq: i64, problem: CaseBreakKind) -> CaseChainBreak {
        CaseChainBreak {
            case_id: self.case_id.clone(),
            seq,
            problem,
        }
    }

    /// Checks the next event of the history.
    pub fn push(&mut self, event: &CaseEvent) -> Result<(), CaseChainBreak> {
        let broken = |problem| self.broken(event.seq, problem);
        if event.case_id != self.case_id {
            return Err(broken(CaseBreakKind::WrongCase {
                found: event.case_id.clone(),
            }));
        }
        if event.seq != self.next_seq {
            return Err(broken(CaseBreakKind::SeqGap {
                expected: self.next_seq,
            }));
        }
        let computed = event.compute_hash();
        if computed != event.hash {
            return Err(broken(CaseBreakKind::HashMismatch {
                stored: event.hash.clone(),
                computed,
            }));
        }
        if event.prev_hash != self.head_hash {
            return Err(broken(CaseBreakKind::BrokenLink {
                expected_prev: self.head_hash.clone(),
                found_prev: event.prev_hash.clone(),
            }));
        }
        let state = match (self.state, &event.kind) {
            (None, CaseEventKind::Received { .. }) => CaseState::Received,
            (None, kind) => {
                return Err(broken(CaseBreakKind::NotOpened { found: kind.name() }));
            }
            (Some(state), kind) => {
                next_state(state, kind).map_err(|err| broken(CaseBreakKind::Refused(err)))?
            }
        };
        self.state = Some(state);
        self.events += 1;
        self.next_seq += 1;
        self.head_hash = computed;
        Ok(())
    }

    pub fn finish(self) -> CaseChainSummary {
        CaseChainSummary {
            case_id: self.case_id,
            events: self.events,
            head_seq: self.next_seq - 1,
            head_hash: self.head_hash,
            state: self.state,
        }
    }

    /// Like [`finish`](Self::finish), but also checks that the history ends at the head the
    /// store recorded beside it (seq, hash and state name), which catches events cut from the
    /// end and a case row changed by hand.
    pub fn finish_at_head(
        self,
        recorded_seq: i64,
        recorded_hash: &str,
        recorded_state: &str,
    ) -> Result<CaseChainSummary, CaseChainBreak> {
        let last_seq = self.next_seq - 1;
        if last_seq != recorded_seq || self.head_hash != recorded_hash {
            return Err(self.broken(
                last_seq,
                CaseBreakKind::HeadMismatch {
                    recorded_seq,
                    recorded_hash: recorded_hash.to_string(),
                    found_seq: last_seq,
                    found_hash: self.head_hash.clone(),
                },
            ));
        }
        if self.state.map(CaseState::as_str) != Some(recorded_state) {
            return Err(self.broken(
                last_seq,
                CaseBreakKind::StateMismatch {
                    recorded: recorded_state.to_string(),
                    replayed: self.state,
                },
            ));
        }
        Ok(self.finish())
    }
}

/// Verifies a whole history given in seq order against nothing but itself.
pub fn verify(case_id: &str, events: &[CaseEvent]) -> Result<CaseChainSummary, CaseChainBreak> {
    let mut verifier = CaseChainVerifier::new(case_id);
    for event in events {
        verifier.push(event)?;
    }
    Ok(verifier.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::event::{NewCaseEvent, VerifyMethod};
    use crate::desk::right::Right;

    const CASE: &str = "01J0000000000000000000000C";

    fn history() -> Vec<CaseEvent> {
        let kinds = [
            CaseEventKind::Received {
                site: "www".into(),
                right: Right::Access,
            },
            CaseEventKind::Verified {
                method: VerifyMethod::Link,
                note: String::new(),
            },
            CaseEventKind::Started,
            CaseEventKind::Note {
                text: "exported".into(),
            },
            CaseEventKind::Completed,
            CaseEventKind::MailSent {
                message_id: "<m1@kapsel.example>".into(),
                template: "case_completed".into(),
            },
        ];
        let mut prev = GENESIS_HASH.to_string();
        let mut events = Vec::new();
        for (n, kind) in kinds.into_iter().enumerate() {
            let seq = n as i64 + 1;
            let event = CaseEvent::seal(
                CASE,
                seq,
                &prev,
                NewCaseEvent {
                    at_ms: 1_000 * seq,
                    actor: "system".into(),
                    kind,
                },
            );
            prev = event.hash.clone();
            events.push(event);
        }
        events
    }

    fn break_of(events: &[CaseEvent]) -> (i64, CaseBreakKind) {
        let err = verify(CASE, events).unwrap_err();
        (err.seq, err.problem)
    }

    #[test]
    fn an_intact_history_verifies_to_its_head_and_state() {
        let events = history();
        let summary = verify(CASE, &events).unwrap();
        assert_eq!(
            (summary.events, summary.head_seq, summary.state),
            (6, 6, Some(CaseState::Completed))
        );
        assert_eq!(summary.head_hash, events[5].hash);
        let mut verifier = CaseChainVerifier::new(CASE);
        events.iter().for_each(|e| verifier.push(e).unwrap());
        assert!(
            verifier
                .finish_at_head(6, &events[5].hash, "completed")
                .is_ok()
        );
        assert_eq!(verify(CASE, &[]).unwrap().head_hash, GENESIS_HASH);
    }

    #[test]
    fn an_edited_event_is_named_by_seq() {
        let mut events = history();
        events[3].kind = CaseEventKind::Note {
            text: "nothing found".into(),
        };
        let (seq, problem) = break_of(&events);
        assert_eq!(seq, 4);
        assert!(matches!(problem, CaseBreakKind::HashMismatch { .. }));
    }

    #[test]
    fn an_edited_event_with_a_recomputed_hash_breaks_the_next_link() {
        let mut events = history();
        events[3].actor = "user:mallory".into();
        events[3].hash = events[3].compute_hash();
        let (seq, problem) = break_of(&events);
        assert_eq!(seq, 5);
        assert!(matches!(problem, CaseBreakKind::BrokenLink { .. }));
    }

    #[test]
    fn a_deleted_event_is_a_gap_and_a_deleted_last_event_misses_the_head() {
        let mut events = history();
        events.remove(2);
        assert_eq!(
            break_of(&events),
            (4, CaseBreakKind::SeqGap { expected: 3 })
        );

        let events = history();
        let mut verifier = CaseChainVerifier::new(CASE);
        events[..5].iter().for_each(|e| verifier.push(e).unwrap());
        let err = verifier
            .finish_at_head(6, &events[5].hash, "completed")
            .unwrap_err();
        assert_eq!(err.seq, 5);
        assert!(
            matches!(
                err.problem,
                CaseBreakKind::HeadMismatch {
                    recorded_seq: 6,
                    found_seq: 5,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn reordered_events_are_caught_even_when_renumbered() {
        let mut events = history();
        events.swap(2, 3);
        assert_eq!(
            break_of(&events),
            (4, CaseBreakKind::SeqGap { expected: 3 })
        );
        events[2].seq = 3;
        events[3].seq = 4;
        let (seq, _) = break_of(&events);
        assert_eq!(seq, 3);
    }

    #[test]
    fn a_resealed_history_that_breaks_the_state_table_is_caught() {
        // Someone with the code rebuilt the chain so that the case completes without being
        // verified: every hash and link is right, the state table is not.
        let mut events = history();
        events.remove(1);
        let mut prev = GENESIS_HASH.to_string();
        for (n, event) in events.iter_mut().enumerate() {
            event.seq = n as i64 + 1;
            event.prev_hash = prev;
            event.hash = event.compute_hash();
            prev = event.hash.clone();
        }
        let (seq, problem) = break_of(&events);
        assert_eq!(seq, 2);
        assert!(matches!(problem, CaseBreakKind::Refused(_)), "{problem}");

        let mut events = history();
        events.remove(0);
        events[0].seq = 1;
        events[0].prev_hash = GENESIS_HASH.into();
        events[0].hash = events[0].compute_hash();
        assert_eq!(
            break_of(&events[..1]),
            (1, CaseBreakKind::NotOpened { found: "verified" })
        );
    }

    #[test]
    fn a_changed_case_state_or_another_case_is_caught() {
        let events = history();
        let mut verifier = CaseChainVerifier::new(CASE);
        events.iter().for_each(|e| verifier.push(e).unwrap());
        let err = verifier
            .finish_at_head(6, &events[5].hash, "in_progress")
            .unwrap_err();
        assert!(
            matches!(err.problem, CaseBreakKind::StateMismatch { .. }),
            "{err}"
        );
        let err = verify("01J0000000000000000000000D", &events).unwrap_err();
        assert!(matches!(err.problem, CaseBreakKind::WrongCase { .. }));
    }
}
