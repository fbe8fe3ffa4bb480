//! The request desk's cases on both backends: a case opens with its dates and `received`
//! event, events move its state and head and verify as a chain; a refused event writes
//! nothing; two concurrent appenders to one case produce seq 1..n with no gap or fork; and a
//! stored event edited or deleted behind the store's back, or a case row changed by hand, is
//! named by `verify_case`.

use kapsel_core::deadline::TargetRule;
use kapsel_core::desk::{
    self, CaseBreakKind, CaseEventKind, CaseState, ErasureGround, EventRefused, NewCase,
    NewCaseEvent, Right, VerifyMethod,
};
use kapsel_store::{CaseError, CaseStore, StoreError};

use super::backends::{T0, TestBackend, new_id, on_every_backend};

on_every_backend!(
    a_case_opens_moves_through_its_events_and_verifies,
    open_cases_are_listed_soonest_deadline_first,
    a_refused_event_leaves_nothing_written,
    concurrent_appends_never_fork_the_history,
    an_edited_event_is_named_by_verify,
    a_deleted_last_event_or_a_changed_case_row_is_named_by_verify,
    unknown_cases_are_typed_errors,
    only_unverified_cases_past_their_lapse_time_are_lapsable,
);

const DAY: i64 = 86_400_000;
const RULE: TargetRule = TargetRule::SameDate;

/// A fictional requester's request for `right`, received at `received_ms`.
fn request(right: Right, received_ms: i64) -> NewCase {
    NewCase {
        id: new_id(),
        site: "www".into(),
        right,
        email: "kari.nordmann@example.no".into(),
        identifiers: [("customer_no".to_string(), "10001".to_string())].into(),
        received_ms,
        actor: "requester".into(),
        lang: "nb".into(),
    }
}

fn event(at_ms: i64, kind: CaseEventKind) -> NewCaseEvent {
    NewCaseEvent {
        at_ms,
        actor: "user:kari".into(),
        kind,
    }
}

fn verified() -> CaseEventKind {
    CaseEventKind::Verified {
        method: VerifyMethod::Link,
        note: String::new(),
    }
}

fn note(text: &str) -> CaseEventKind {
    CaseEventKind::Note { text: text.into() }
}

/// Opens a case and moves it to in progress; returns its id.
async fn case_in_progress(backend: &TestBackend, right: Right) -> String {
    let store = &backend.store;
    let (case, _) = store.open_case(request(right, T0), RULE).await.unwrap();
    for kind in [verified(), CaseEventKind::Started] {
        store
            .append_event(&case.id, event(T0 + 1, kind), RULE)
            .await
            .unwrap();
    }
    case.id
}

async fn a_case_opens_moves_through_its_events_and_verifies(backend: &TestBackend) {
    let store = &backend.store;
    let name = backend.name;
    let (opened, first) = store
        .open_case(request(Right::Access, T0), RULE)
        .await
        .unwrap();
    // Received 1 January 2026 (Oslo): 1 February is a Sunday, so the period runs to Monday 2.
    assert_eq!(opened.state, CaseState::Received);
    assert_eq!(
        desk::iso_date(opened.dates.legal_due),
        "2026-02-02",
        "{name}"
    );
    assert_eq!(desk::iso_date(opened.dates.target), "2026-02-01");
    assert_eq!(store.case(&opened.id).await.unwrap(), opened, "{name}");
    assert_eq!(store.events(&opened.id).await.unwrap(), vec![first]);

    let kinds = [
        verified(),
        CaseEventKind::Started,
        CaseEventKind::Extended {
            months: 2,
            reason: "the data sit in three systems".into(),
        },
        note("export checked"),
        CaseEventKind::Completed,
        CaseEventKind::MailSent {
            message_id: "<case-completed-1@kapsel.example>".into(),
            template: "case_completed".into(),
        },
    ];
    let mut last = opened.clone();
    for (n, kind) in kinds.into_iter().enumerate() {
        let (case, sealed) = store
            .append_event(&opened.id, event(T0 + DAY * (n as i64 + 1), kind), RULE)
            .await
            .unwrap();
        assert_eq!(sealed.seq, last.head_seq + 1, "{name}");
        assert_eq!(sealed.prev_hash, last.head_hash, "{name}");
        assert_eq!((case.head_seq, &case.head_hash), (sealed.seq, &sealed.hash));
        last = case;
    }
    assert_eq!(last.state, CaseState::Completed);
    // Extended by two months inside the first: three months from receipt, 1 April 2026.
    assert_eq!(
        (last.dates.months, desk::iso_date(last.dates.legal_due)),
        (3, "2026-04-01".to_string()),
        "{name}"
    );
    assert_eq!(store.case(&opened.id).await.unwrap(), last, "{name}");

    let events = store.events(&opened.id).await.unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>(), "{name}");
    let summary = store.verify_case(&opened.id).await.unwrap().unwrap();
    assert_eq!(
        (summary.events, summary.head_seq, summary.state),
        (7, 7, Some(CaseState::Completed)),
        "{name}"
    );
    assert_eq!(summary.head_hash, last.head_hash);

    // The same id cannot be opened twice.
    let mut again = request(Right::Erasure, T0);
    again.id = opened.id.clone();
    let err = store.open_case(again, RULE).await.unwrap_err();
    assert!(
        matches!(err, CaseError::Exists(ref id) if *id == opened.id),
        "{name}: {err}"
    );
    // Nor can a request without an address to answer.
    let mut bad = request(Right::Access, T0);
    bad.email = "kari@example.no\r\nBcc: x@example.no".into();
    assert!(matches!(
        store.open_case(bad, RULE).await,
        Err(CaseError::Invalid(_))
    ));
}

async fn open_cases_are_listed_soonest_deadline_first(backend: &TestBackend) {
    let store = &backend.store;
    let mut ids = Vec::new();
    for days in [20, 0, 10] {
        let (case, _) = store
            .open_case(request(Right::Access, T0 + DAY * days), RULE)
            .await
            .unwrap();
        ids.push(case.id);
    }
    let done = case_in_progress(backend, Right::Portability).await;
    store
        .append_event(&done, event(T0 + 2, CaseEventKind::Completed), RULE)
        .await
        .unwrap();
    let inbox: Vec<String> = store
        .open_cases_by_deadline(10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(
        inbox,
        vec![ids[1].clone(), ids[2].clone(), ids[0].clone()],
        "{}",
        backend.name
    );
    assert_eq!(store.open_cases_by_deadline(1).await.unwrap().len(), 1);
}

async fn a_refused_event_leaves_nothing_written(backend: &TestBackend) {
    let store = &backend.store;
    let name = backend.name;
    let (case, _) = store
        .open_case(request(Right::Erasure, T0), RULE)
        .await
        .unwrap();
    let err = store
        .append_event(&case.id, event(T0 + 1, CaseEventKind::Completed), RULE)
        .await
        .unwrap_err();
    let transition = err.transition().copied().unwrap();
    assert_eq!(
        (transition.from, transition.to),
        (CaseState::Received, Some(CaseState::Completed)),
        "{name}"
    );
    assert!(err.to_string().contains("received"), "{err}");
    assert_eq!(store.case(&case.id).await.unwrap(), case, "{name}");
    assert_eq!(store.events(&case.id).await.unwrap().len(), 1);

    // An erasure refused without its art. 17(3) ground, and an extension after the first
    // month, are refused too, and also write nothing.
    let id = case_in_progress(backend, Right::Erasure).await;
    let before = store.case(&id).await.unwrap();
    let refusals = [
        (
            event(
                T0 + 2,
                CaseEventKind::Refused {
                    reason: "kept for the accounts".into(),
                    ground: None,
                },
            ),
            "ground",
        ),
        (
            event(
                before.dates.ends_at_ms,
                CaseEventKind::Extended {
                    months: 1,
                    reason: "too late".into(),
                },
            ),
            "first period",
        ),
    ];
    for (refused, says) in refusals {
        let err = store.append_event(&id, refused, RULE).await.unwrap_err();
        assert!(matches!(err, CaseError::Refused { .. }), "{name}: {err}");
        assert!(err.to_string().contains(says), "{err}");
    }
    assert_eq!(store.case(&id).await.unwrap(), before, "{name}");
    assert_eq!(store.events(&id).await.unwrap().len(), 3);

    // An ended case takes a note, but no state change.
    let refusal = CaseEventKind::Refused {
        reason: "art. 17(3)(b): bokføringsloven § 13".into(),
        ground: Some(ErasureGround::LegalObligation),
    };
    store
        .append_event(&id, event(T0 + 3, refusal), RULE)
        .await
        .unwrap();
    let err = store
        .append_event(&id, event(T0 + 4, CaseEventKind::Withdrawn), RULE)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            CaseError::Refused {
                refused: EventRefused::Transition(_),
                ..
            }
        ),
        "{name}: {err}"
    );
    store
        .append_event(&id, event(T0 + 4, note("requester called")), RULE)
        .await
        .unwrap();
    assert_eq!(
        store.case(&id).await.unwrap().state,
        CaseState::Refused,
        "{name}"
    );
    assert!(store.verify_case(&id).await.unwrap().is_ok());
}

async fn concurrent_appends_never_fork_the_history(backend: &TestBackend) {
    const EACH: usize = 25;
    let id = case_in_progress(backend, Right::Access).await;
    let appender = |who: &'static str| {
        let store = backend.store.clone();
        let id = id.clone();
        tokio::spawn(async move {
            for n in 0..EACH {
                let kind = note(&format!("{who} {n}"));
                let new = NewCaseEvent {
                    at_ms: T0 + 2,
                    actor: format!("user:{who}"),
                    kind,
                };
                store.append_event(&id, new, RULE).await.unwrap();
            }
        })
    };
    let (a, b) = (appender("a"), appender("b"));
    a.await.unwrap();
    b.await.unwrap();

    let events = backend.store.events(&id).await.unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=(3 + 2 * EACH as i64)).collect::<Vec<_>>(),
        "{}",
        backend.name
    );
    for who in ["user:a", "user:b"] {
        assert_eq!(events.iter().filter(|e| e.actor == who).count(), EACH);
    }
    let summary = backend.store.verify_case(&id).await.unwrap().unwrap();
    assert_eq!(summary.head_seq, 3 + 2 * EACH as i64, "{}", backend.name);
}

async fn an_edited_event_is_named_by_verify(backend: &TestBackend) {
    let store = &backend.store;
    let id = case_in_progress(backend, Right::Access).await;
    store
        .append_event(&id, event(T0 + 2, note("nothing found")), RULE)
        .await
        .unwrap();
    assert!(store.verify_case(&id).await.unwrap().is_ok());

    let edited = backend
        .raw(&format!(
            "UPDATE desk_case_events SET detail = '{{\"text\":\"all data sent\"}}' \
             WHERE case_id = '{id}' AND seq = 4"
        ))
        .await;
    assert_eq!(edited, 1);
    let broken = store.verify_case(&id).await.unwrap().unwrap_err();
    assert_eq!(broken.seq, 4, "{}: {broken}", backend.name);
    assert!(
        matches!(broken.problem, CaseBreakKind::HashMismatch { .. }),
        "{broken}"
    );

    // A detail no writer writes cannot even be read as an event.
    backend
        .raw(&format!(
            "UPDATE desk_case_events SET detail = '{{\"text\":\"x\",\"by\":\"y\"}}' \
             WHERE case_id = '{id}' AND seq = 4"
        ))
        .await;
    let broken = store.verify_case(&id).await.unwrap().unwrap_err();
    assert!(
        matches!(broken.problem, CaseBreakKind::Unreadable { .. }) && broken.seq == 4,
        "{}: {broken}",
        backend.name
    );
    assert!(matches!(
        store.events(&id).await,
        Err(CaseError::Store(StoreError::CorruptRow { .. }))
    ));
}

async fn a_deleted_last_event_or_a_changed_case_row_is_named_by_verify(backend: &TestBackend) {
    let store = &backend.store;
    let name = backend.name;
    let id = case_in_progress(backend, Right::Access).await;
    store
        .append_event(&id, event(T0 + 2, CaseEventKind::Completed), RULE)
        .await
        .unwrap();
    let deleted = backend
        .raw(&format!(
            "DELETE FROM desk_case_events WHERE case_id = '{id}' AND seq = 4"
        ))
        .await;
    assert_eq!(deleted, 1);
    let broken = store.verify_case(&id).await.unwrap().unwrap_err();
    assert!(
        matches!(
            broken.problem,
            CaseBreakKind::HeadMismatch {
                recorded_seq: 4,
                found_seq: 3,
                ..
            }
        ),
        "{name}: {broken}"
    );

    // A deleted event in the middle is a gap.
    let id = case_in_progress(backend, Right::Access).await;
    backend
        .raw(&format!(
            "DELETE FROM desk_case_events WHERE case_id = '{id}' AND seq = 2"
        ))
        .await;
    let broken = store.verify_case(&id).await.unwrap().unwrap_err();
    assert_eq!(
        (broken.seq, broken.problem),
        (3, CaseBreakKind::SeqGap { expected: 2 }),
        "{name}"
    );

    // A case row whose state was set by hand no longer matches its history.
    let id = case_in_progress(backend, Right::Access).await;
    backend
        .raw(&format!(
            "UPDATE desk_cases SET state = 'completed' WHERE id = '{id}'"
        ))
        .await;
    let broken = store.verify_case(&id).await.unwrap().unwrap_err();
    assert!(
        matches!(broken.problem, CaseBreakKind::StateMismatch { .. }),
        "{name}: {broken}"
    );
}

async fn unknown_cases_are_typed_errors(backend: &TestBackend) {
    let store = &backend.store;
    let id = new_id();
    let unknown = |err: CaseError| matches!(err, CaseError::UnknownCase(ref got) if *got == id);
    assert!(unknown(store.case(&id).await.unwrap_err()));
    assert!(unknown(store.events(&id).await.unwrap_err()));
    assert!(unknown(store.verify_case(&id).await.unwrap_err()));
    let err = store
        .append_event(&id, event(T0, note("hello")), RULE)
        .await
        .unwrap_err();
    assert!(unknown(err), "{}", backend.name);
    assert!(store.open_cases_by_deadline(10).await.unwrap().is_empty());
}

async fn only_unverified_cases_past_their_lapse_time_are_lapsable(backend: &TestBackend) {
    let store = &backend.store;
    let (waiting, _) = store
        .open_case(request(Right::Access, T0), RULE)
        .await
        .unwrap();
    let (later, _) = store
        .open_case(request(Right::Erasure, T0 + DAY), RULE)
        .await
        .unwrap();
    let verified_case = case_in_progress(backend, Right::Portability).await;
    let lapses = waiting.dates.lapses_at_ms;
    assert!(
        store
            .lapsed_unverified(lapses - 1, 10)
            .await
            .unwrap()
            .is_empty(),
        "{}: nothing lapses early",
        backend.name
    );
    assert_eq!(
        store.lapsed_unverified(lapses, 10).await.unwrap(),
        vec![waiting.id.clone()],
        "{}",
        backend.name
    );
    let all = store
        .lapsed_unverified(later.dates.lapses_at_ms, 10)
        .await
        .unwrap();
    assert_eq!(
        all,
        vec![waiting.id.clone(), later.id.clone()],
        "{}",
        backend.name
    );
    assert!(
        !all.contains(&verified_case),
        "a verified case never lapses"
    );
    store
        .append_event(&waiting.id, event(lapses, CaseEventKind::Lapsed), RULE)
        .await
        .unwrap();
    assert_eq!(
        store
            .lapsed_unverified(later.dates.lapses_at_ms, 10)
            .await
            .unwrap(),
        vec![later.id],
        "{}: a lapsed case is not listed again",
        backend.name
    );
}
