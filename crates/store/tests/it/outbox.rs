//! The mail outbox on both backends: an enqueued message is due at once and leaves the due list
//! when sent; a failing message is retried at the time it was given and turns dead on its last
//! allowed attempt; kept and final messages are never moved again; lists filter by state.

use kapsel_store::{MailState, NewMail, Outbox, OutboxError};

use super::backends::{T0, TestBackend, new_id, on_every_backend};

on_every_backend!(
    an_enqueued_message_is_due_then_sent,
    a_failing_message_is_retried_then_dead,
    kept_and_final_messages_are_not_moved,
    lists_filter_by_state_oldest_first,
    duplicate_and_unknown_ids_are_typed_errors,
);

const MINUTE: i64 = 60_000;

/// A fictional message to a fictional requester, created at `created_ms`.
fn mail(created_ms: i64) -> NewMail {
    NewMail {
        id: new_id(),
        created_ms,
        to_addr: "kari.nordmann@example.no".into(),
        subject: "Kapsel test message".into(),
        body_text: "Hei Kari,\n\nthis is a fictional message.\n".into(),
        message_id: format!("<{}@kapsel.example.no>", new_id()),
        template: "test-message".into(),
        case_id: None,
    }
}

async fn an_enqueued_message_is_due_then_sent(backend: &TestBackend) {
    let store = &backend.store;
    let first = mail(T0);
    let later = mail(T0 + MINUTE);
    store.enqueue(first.clone()).await.unwrap();
    store.enqueue(later.clone()).await.unwrap();

    assert!(store.due(T0 - 1, 10).await.unwrap().is_empty());
    let due = store.due(T0, 10).await.unwrap();
    assert_eq!(
        due.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [first.id.as_str()]
    );
    let stored = &due[0];
    assert_eq!(stored.to_addr, first.to_addr);
    assert_eq!(stored.body_text, first.body_text);
    assert_eq!(stored.message_id, first.message_id);
    assert_eq!(stored.state, MailState::Queued);
    assert_eq!(
        (stored.attempts, stored.sent_ms, stored.case_id.clone()),
        (0, None, None)
    );
    assert_eq!(store.due(T0 + MINUTE, 1).await.unwrap().len(), 1, "limit");

    store.mark_sent(&first.id, T0 + 5).await.unwrap();
    let sent = store.get(&first.id).await.unwrap();
    assert_eq!(
        (sent.state, sent.attempts, sent.sent_ms),
        (MailState::Sent, 1, Some(T0 + 5))
    );
    let due = store.due(T0 + MINUTE, 10).await.unwrap();
    assert_eq!(
        due.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [later.id.as_str()]
    );
}

async fn a_failing_message_is_retried_then_dead(backend: &TestBackend) {
    let store = &backend.store;
    let message = mail(T0);
    store.enqueue(message.clone()).await.unwrap();
    let id = message.id.as_str();

    let state = store
        .mark_failed(id, T0, "421 try later", T0 + MINUTE, 3)
        .await
        .unwrap();
    assert_eq!(state, MailState::Failed);
    assert!(store.due(T0 + MINUTE - 1, 10).await.unwrap().is_empty());
    let due = store.due(T0 + MINUTE, 10).await.unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].attempts, due[0].last_error.as_deref()),
        (1, Some("421 try later"))
    );

    // A retry time before the failure is moved up to the failure.
    let state = store
        .mark_failed(id, T0 + 2 * MINUTE, "timeout", T0, 3)
        .await
        .unwrap();
    assert_eq!(state, MailState::Failed);
    assert_eq!(
        store.get(id).await.unwrap().next_attempt_ms,
        T0 + 2 * MINUTE
    );

    let state = store
        .mark_failed(id, T0 + 3 * MINUTE, "550 no such user", T0 + 9 * MINUTE, 3)
        .await
        .unwrap();
    assert_eq!(state, MailState::Dead);
    let dead = store.get(id).await.unwrap();
    assert_eq!(
        (dead.state, dead.attempts, dead.last_error.as_deref()),
        (MailState::Dead, 3, Some("550 no such user"))
    );
    assert!(store.due(i64::MAX, 10).await.unwrap().is_empty());
}

async fn kept_and_final_messages_are_not_moved(backend: &TestBackend) {
    let store = &backend.store;
    let kept = mail(T0);
    store.enqueue(kept.clone()).await.unwrap();
    store.mark_kept(&kept.id).await.unwrap();
    assert_eq!(store.get(&kept.id).await.unwrap().state, MailState::Kept);
    assert!(store.due(i64::MAX, 10).await.unwrap().is_empty());

    for refused in [
        store.mark_sent(&kept.id, T0).await.err(),
        store.mark_kept(&kept.id).await.err(),
        store.mark_failed(&kept.id, T0, "x", T0, 3).await.err(),
    ] {
        assert!(
            matches!(
                refused,
                Some(OutboxError::NotPending {
                    state: MailState::Kept,
                    ..
                })
            ),
            "{refused:?}"
        );
    }
    let after = store.get(&kept.id).await.unwrap();
    assert_eq!((after.state, after.attempts), (MailState::Kept, 0));

    let sent = mail(T0);
    store.enqueue(sent.clone()).await.unwrap();
    store.mark_sent(&sent.id, T0).await.unwrap();
    let again = store.mark_sent(&sent.id, T0 + 1).await.err();
    assert!(
        matches!(
            again,
            Some(OutboxError::NotPending {
                state: MailState::Sent,
                ..
            })
        ),
        "{again:?}"
    );
    assert_eq!(store.get(&sent.id).await.unwrap().sent_ms, Some(T0));
}

async fn lists_filter_by_state_oldest_first(backend: &TestBackend) {
    let store = &backend.store;
    let mut ids = Vec::new();
    for minute in [3, 1, 2, 0] {
        let message = mail(T0 + minute * MINUTE);
        ids.push((minute, message.id.clone()));
        store.enqueue(message).await.unwrap();
    }
    ids.sort();
    let [(_, a), (_, b), (_, c), (_, d)] = &ids[..] else {
        unreachable!()
    };
    store.mark_kept(b).await.unwrap();
    store.mark_sent(c, T0).await.unwrap();
    store.mark_kept(d).await.unwrap();

    let ids_of =
        |list: Vec<kapsel_store::OutboxMail>| list.into_iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(
        ids_of(store.list(None, 10).await.unwrap()),
        [a.as_str(), b.as_str(), c.as_str(), d.as_str()]
    );
    assert_eq!(
        ids_of(store.list(None, 2).await.unwrap()),
        [a.as_str(), b.as_str()]
    );
    assert_eq!(
        ids_of(store.list(Some(MailState::Kept), 10).await.unwrap()),
        [b.as_str(), d.as_str()]
    );
    assert_eq!(
        ids_of(store.list(Some(MailState::Queued), 10).await.unwrap()),
        [a.as_str()]
    );
    assert_eq!(
        ids_of(store.list(Some(MailState::Sent), 10).await.unwrap()),
        [c.as_str()]
    );
    assert!(
        store
            .list(Some(MailState::Dead), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn duplicate_and_unknown_ids_are_typed_errors(backend: &TestBackend) {
    let store = &backend.store;
    let message = mail(T0);
    store.enqueue(message.clone()).await.unwrap();
    let mut changed = message.clone();
    changed.subject = "another subject".into();
    let error = store.enqueue(changed).await.err();
    assert!(
        matches!(&error, Some(OutboxError::Exists(id)) if *id == message.id),
        "{error:?}"
    );
    assert_eq!(
        store.get(&message.id).await.unwrap().subject,
        message.subject
    );

    let error = store.get("no-such-mail").await.err();
    assert!(matches!(error, Some(OutboxError::Unknown(_))), "{error:?}");
    let error = store.mark_sent("no-such-mail", T0).await.err();
    assert!(matches!(error, Some(OutboxError::Unknown(_))), "{error:?}");
}
