//! Tests of `case`.
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
        lang: "nb".into(),
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
