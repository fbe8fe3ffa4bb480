//! A request case as the desk holds it, and the two pure steps that change one: [`open`] (a
//! new request and its `received` event) and [`advance`] (the next event, checked against the
//! state table, the legal clock and the details each event needs, then sealed after the head).
//! The store runs these inside its transactions; nothing here reads a clock or a database.

use std::collections::BTreeMap;

use super::dates::CaseDates;
use super::event::{CaseEvent, CaseEventKind, NewCaseEvent, VerifyMethod};
use super::right::Right;
use super::state::{CaseState, TransitionError, next_state};
use crate::clock::Millis;
use crate::consent::{GENESIS_HASH, is_receipt_id};
use crate::deadline::{DeadlineError, ExtensionError, TargetRule};

/// A request as it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// 26 Crockford base32 characters, chosen by the caller (like a receipt id).
    pub id: String,
    pub site: String,
    pub right: Right,
    /// Where the answer goes.
    pub email: String,
    /// What the privacy file asks the requester for (customer number, phone, …).
    pub identifiers: BTreeMap<String, String>,
    /// Stamped by the caller from its clock.
    pub received_ms: Millis,
    /// Who opened it: `requester`, or `user:<name>` for a request taken by phone or letter.
    pub actor: String,
}

/// A case: the request, where it stands, its dates and the head of its history. The email and
/// identifiers live here, not in the history, so that they can be erased while the history
/// stays as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: String,
    pub site: String,
    pub right: Right,
    pub state: CaseState,
    pub email: String,
    pub identifiers: BTreeMap<String, String>,
    pub received_ms: Millis,
    pub dates: CaseDates,
    pub head_seq: i64,
    pub head_hash: String,
    /// When the last event happened.
    pub updated_ms: Millis,
}

/// Why a request could not be opened as a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenRefused {
    #[error("a case id is 26 Crockford base32 characters, not {0:?}")]
    BadId(String),
    #[error("{0} is empty")]
    Blank(&'static str),
    #[error("{0:?} is not an e-mail address")]
    BadEmail(String),
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
}

/// Why an event was not appended. Nothing is written for a refused event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventRefused {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("the extension was refused: {0}")]
    Extension(#[from] ExtensionError),
    /// A text the event needs is empty: the art. 12(4) reason of a refusal, the note of a
    /// verification by other means, the question of a pause, …
    #[error("the {event} event needs its {field}")]
    Blank {
        event: &'static str,
        field: &'static str,
    },
    /// Art. 17(3): an erasure is refused only on one of its grounds, and the requester is told
    /// which.
    #[error("refusing an erasure needs its art. 17(3) ground")]
    ErasureGroundMissing,
    #[error("an art. 17(3) ground applies only to refusing an erasure, not {0}")]
    GroundNotForErasure(Right),
    #[error("the case lapses at {lapses_at_ms}, not before")]
    NotYetLapsed { lapses_at_ms: Millis },
    /// Events are appended in time order.
    #[error("the event at {at_ms} is before the case's last event at {last_ms}")]
    BeforeLastEvent { at_ms: Millis, last_ms: Millis },
}

/// Opens a case for `new` with dates by `rule`, and its first event (`received`, seq 1).
pub fn open(new: NewCase, rule: TargetRule) -> Result<(Case, CaseEvent), OpenRefused> {
    if !is_receipt_id(&new.id) {
        return Err(OpenRefused::BadId(new.id));
    }
    for (field, value) in [("site", &new.site), ("actor", &new.actor)] {
        if value.trim().is_empty() {
            return Err(OpenRefused::Blank(field));
        }
    }
    if !plausible_email(&new.email) {
        return Err(OpenRefused::BadEmail(new.email));
    }
    let dates = CaseDates::at_receipt(new.received_ms, rule)?;
    let event = CaseEvent::seal(
        &new.id,
        1,
        GENESIS_HASH,
        NewCaseEvent {
            at_ms: new.received_ms,
            actor: new.actor,
            kind: CaseEventKind::Received {
                site: new.site.clone(),
                right: new.right,
            },
        },
    );
    let case = Case {
        id: new.id,
        site: new.site,
        right: new.right,
        state: CaseState::Received,
        email: new.email,
        identifiers: new.identifiers,
        received_ms: new.received_ms,
        dates,
        head_seq: 1,
        head_hash: event.hash.clone(),
        updated_ms: new.received_ms,
    };
    Ok((case, event))
}

/// One `@` with text on both sides, and nothing that could end a mail header line or hide in
/// it. Whether the address receives mail is what the verification link finds out.
fn plausible_email(email: &str) -> bool {
    let mut parts = email.split('@');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(local), Some(domain), None) if !local.is_empty() && !domain.is_empty()
    ) && email.len() <= 254
        && !email.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The case after `event`, and the event sealed after the case's head. `rule` is the desk's
/// target rule, used when the event extends the period; `event.at_ms` is "now" for the
/// extension and lapse checks.
pub fn advance(
    case: &Case,
    event: NewCaseEvent,
    rule: TargetRule,
) -> Result<(Case, CaseEvent), EventRefused> {
    let name = event.kind.name();
    let blank = |field| EventRefused::Blank { event: name, field };
    if event.actor.trim().is_empty() {
        return Err(blank("actor"));
    }
    if event.at_ms < case.updated_ms {
        return Err(EventRefused::BeforeLastEvent {
            at_ms: event.at_ms,
            last_ms: case.updated_ms,
        });
    }
    let state = next_state(case.state, &event.kind)?;
    let mut dates = case.dates;
    match &event.kind {
        CaseEventKind::Verified {
            method: VerifyMethod::OtherMeans,
            note,
        } if note.trim().is_empty() => return Err(blank("note")),
        CaseEventKind::Paused { question } if question.trim().is_empty() => {
            return Err(blank("question"));
        }
        CaseEventKind::Extended { months, reason } => {
            dates = case
                .dates
                .extended(case.received_ms, *months, reason, event.at_ms, rule)?;
        }
        CaseEventKind::Refused { reason, ground } => {
            if reason.trim().is_empty() {
                return Err(blank("art. 12(4) reason"));
            }
            match (case.right, ground) {
                (Right::Erasure, None) => return Err(EventRefused::ErasureGroundMissing),
                (Right::Erasure, Some(_)) | (_, None) => {}
                (other, Some(_)) => return Err(EventRefused::GroundNotForErasure(other)),
            }
        }
        CaseEventKind::Lapsed if event.at_ms < case.dates.lapses_at_ms => {
            return Err(EventRefused::NotYetLapsed {
                lapses_at_ms: case.dates.lapses_at_ms,
            });
        }
        CaseEventKind::Note { text } if text.trim().is_empty() => return Err(blank("text")),
        CaseEventKind::MailSent {
            message_id,
            template,
        } => {
            if message_id.trim().is_empty() {
                return Err(blank("message id"));
            }
            if template.trim().is_empty() {
                return Err(blank("template"));
            }
        }
        _ => {}
    }
    let at_ms = event.at_ms;
    let sealed = CaseEvent::seal(&case.id, case.head_seq + 1, &case.head_hash, event);
    let next = Case {
        state,
        dates,
        head_seq: sealed.seq,
        head_hash: sealed.hash.clone(),
        updated_ms: at_ms,
        ..case.clone()
    };
    Ok((next, sealed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::chain::CaseChainVerifier;
    use crate::desk::event::ErasureGround;

    // Monday 2 March 2026, 10:00 in Oslo.
    const T0: Millis = 1_772_442_000_000;
    const DAY: Millis = 86_400_000;

    fn new_case(right: Right) -> NewCase {
        NewCase {
            id: "01J0000000000000000000000C".into(),
            site: "www".into(),
            right,
            email: "ola.nordmann@example.no".into(),
            identifiers: [("customer_no".to_string(), "10001".to_string())].into(),
            received_ms: T0,
            actor: "requester".into(),
        }
    }

    fn step(case: &Case, at_ms: Millis, kind: CaseEventKind) -> Result<Case, EventRefused> {
        let event = NewCaseEvent {
            at_ms,
            actor: "user:kari".into(),
            kind,
        };
        advance(case, event, TargetRule::SameDate).map(|(next, _)| next)
    }

    #[test]
    fn a_case_opens_received_with_its_dates_and_first_event() {
        let (case, event) = open(new_case(Right::Access), TargetRule::SameDate).unwrap();
        assert_eq!(case.state, CaseState::Received);
        assert_eq!(
            crate::desk::dates::iso_date(case.dates.legal_due),
            "2026-04-07"
        );
        assert_eq!((event.seq, event.prev_hash.as_str()), (1, GENESIS_HASH));
        assert_eq!((case.head_seq, &case.head_hash), (1, &event.hash));
        assert!(
            !crate::desk::hash::canonical_encoding(&event).contains("ola.nordmann"),
            "the history holds no address"
        );
    }

    #[test]
    fn bad_requests_are_not_opened() {
        let refused = |edit: fn(&mut NewCase)| {
            let mut new = new_case(Right::Access);
            edit(&mut new);
            open(new, TargetRule::SameDate).unwrap_err()
        };
        assert!(matches!(
            refused(|n| n.id = "short".into()),
            OpenRefused::BadId(_)
        ));
        assert_eq!(refused(|n| n.site = " ".into()), OpenRefused::Blank("site"));
        for email in [
            "ola",
            "@example.no",
            "a@b@c",
            "a@example.no\r\nBcc: x@y",
            "a b@c",
        ] {
            let mut new = new_case(Right::Access);
            new.email = email.into();
            assert!(
                matches!(
                    open(new, TargetRule::SameDate),
                    Err(OpenRefused::BadEmail(_))
                ),
                "{email:?}"
            );
        }
    }

    #[test]
    fn a_case_runs_to_completion_and_its_history_verifies() {
        let (mut case, first) = open(new_case(Right::Access), TargetRule::SameDate).unwrap();
        let mut verifier = CaseChainVerifier::new(&case.id);
        verifier.push(&first).unwrap();
        let kinds = [
            CaseEventKind::Verified {
                method: VerifyMethod::Link,
                note: String::new(),
            },
            CaseEventKind::Started,
            CaseEventKind::Paused {
                question: "Which customer number?".into(),
            },
            CaseEventKind::Resumed,
            CaseEventKind::Extended {
                months: 1,
                reason: "three systems".into(),
            },
            CaseEventKind::Completed,
            CaseEventKind::Note {
                text: "closed".into(),
            },
        ];
        for (n, kind) in kinds.into_iter().enumerate() {
            let (next, event) = advance(
                &case,
                NewCaseEvent {
                    at_ms: T0 + DAY * (n as i64 + 1),
                    actor: "user:kari".into(),
                    kind,
                },
                TargetRule::SameDate,
            )
            .unwrap();
            verifier.push(&event).unwrap();
            case = next;
        }
        assert_eq!((case.state, case.dates.months), (CaseState::Completed, 2));
        assert_eq!(
            crate::desk::dates::iso_date(case.dates.legal_due),
            "2026-05-04"
        );
        let summary = verifier
            .finish_at_head(case.head_seq, &case.head_hash, case.state.as_str())
            .unwrap();
        assert_eq!(summary.events, 8);
    }

    #[test]
    fn events_missing_what_the_law_asks_are_refused() {
        let (received, _) = open(new_case(Right::Erasure), TargetRule::SameDate).unwrap();
        let verified = step(
            &received,
            T0 + 1,
            CaseEventKind::Verified {
                method: VerifyMethod::OtherMeans,
                note: "ID shown at the counter".into(),
            },
        )
        .unwrap();
        let refusal = |reason: &str, ground| CaseEventKind::Refused {
            reason: reason.into(),
            ground,
        };
        let cases: Vec<(Case, CaseEventKind, EventRefused)> = vec![
            (
                received.clone(),
                CaseEventKind::Verified {
                    method: VerifyMethod::OtherMeans,
                    note: " ".into(),
                },
                EventRefused::Blank {
                    event: "verified",
                    field: "note",
                },
            ),
            (
                verified.clone(),
                refusal("", Some(ErasureGround::LegalClaims)),
                EventRefused::Blank {
                    event: "refused",
                    field: "art. 12(4) reason",
                },
            ),
            (
                verified.clone(),
                refusal("kept for the accounts", None),
                EventRefused::ErasureGroundMissing,
            ),
            (
                received.clone(),
                CaseEventKind::Lapsed,
                EventRefused::NotYetLapsed {
                    lapses_at_ms: received.dates.lapses_at_ms,
                },
            ),
            (
                verified.clone(),
                CaseEventKind::Extended {
                    months: 3,
                    reason: "r".into(),
                },
                EventRefused::Extension(ExtensionError::TooLong(3)),
            ),
            (
                verified.clone(),
                CaseEventKind::Completed,
                EventRefused::Transition(TransitionError {
                    from: CaseState::Verified,
                    event: "completed",
                    to: Some(CaseState::Completed),
                }),
            ),
        ];
        for (case, kind, expected) in cases {
            assert_eq!(step(&case, T0 + 2, kind).unwrap_err(), expected);
        }
        assert_eq!(
            step(&verified, T0, CaseEventKind::Started).unwrap_err(),
            EventRefused::BeforeLastEvent {
                at_ms: T0,
                last_ms: T0 + 1
            }
        );
        let mut access = verified.clone();
        access.right = Right::Access;
        assert_eq!(
            step(
                &access,
                T0 + 2,
                refusal("r", Some(ErasureGround::Archiving))
            )
            .unwrap_err(),
            EventRefused::GroundNotForErasure(Right::Access)
        );
        assert!(step(&access, T0 + 2, refusal("manifestly unfounded", None)).is_ok());
        // An extension after the first month is refused; a lapse after seven days is allowed.
        assert_eq!(
            step(
                &verified,
                verified.dates.ends_at_ms,
                CaseEventKind::Extended {
                    months: 1,
                    reason: "late".into()
                }
            )
            .unwrap_err(),
            EventRefused::Extension(ExtensionError::AfterFirstPeriod)
        );
        let lapsed = step(
            &received,
            received.dates.lapses_at_ms,
            CaseEventKind::Lapsed,
        )
        .unwrap();
        assert_eq!(lapsed.state, CaseState::Lapsed);
    }
}
