//! Delivery rounds over a real SQLite outbox: without SMTP due mail is kept; against a relay
//! that refuses connections (a real closed loopback port) each round counts one failed attempt,
//! waits the backoff (inside half to full of the doubled delay) and the message turns dead on
//! its last allowed attempt; a stored row edited to carry a header injection is never sent.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::{Ipv4Addr, TcpListener};
use std::time::Duration;

use kapsel_core::{Clock, ManualClock, OsRandom};
use kapsel_mail::{Outgoing, RetryPolicy, Round, Sender, Smtp, compose, deliver_due};
use kapsel_store::{MailState, Outbox, Store};

const T0: i64 = 1_767_225_600_000;

async fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

fn sender() -> Sender {
    Sender::parse("Kapsel personvern <personvern@example.no>", "[mail] from").unwrap()
}

async fn enqueue(store: &Store, now_ms: i64) -> String {
    let mail = compose(
        Outgoing {
            to: "kari.nordmann@example.no".into(),
            subject: "Kapsel test message".into(),
            body_text: "Fictional.\n".into(),
            template: "test-message".into(),
            case_id: None,
        },
        &sender(),
        now_ms,
        &OsRandom,
    )
    .unwrap();
    let id = mail.id.clone();
    store.enqueue(mail).await.unwrap();
    id
}

/// An SMTP URL on a loopback port nothing listens on (bound, read, released).
fn closed_relay() -> Smtp {
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Smtp::from_url(&format!("smtp://127.0.0.1:{port}"), Duration::from_secs(2)).unwrap()
}

#[tokio::test]
async fn without_smtp_due_mail_is_kept_and_not_due_again() {
    let (store, _dir) = store().await;
    let id = enqueue(&store, T0).await;
    let clock = ManualClock::at(T0);
    let policy = RetryPolicy::default();
    let round = deliver_due(&store, None, &sender(), policy, &clock, &OsRandom, 10)
        .await
        .unwrap();
    assert_eq!(
        round,
        Round {
            kept: 1,
            ..Round::default()
        }
    );
    assert_eq!(store.get(&id).await.unwrap().state, MailState::Kept);
    let round = deliver_due(&store, None, &sender(), policy, &clock, &OsRandom, 10)
        .await
        .unwrap();
    assert_eq!(round, Round::default());
}

#[tokio::test]
async fn a_refused_relay_is_retried_with_backoff_until_dead() {
    let (store, _dir) = store().await;
    let id = enqueue(&store, T0).await;
    let smtp = closed_relay();
    let policy = RetryPolicy {
        max_attempts: 4,
        first_delay_ms: 60_000,
        max_delay_ms: 150_000,
    };
    let clock = ManualClock::at(T0);
    for attempt in 1..=4_i64 {
        let round = deliver_due(
            &store,
            Some(&smtp),
            &sender(),
            policy,
            &clock,
            &OsRandom,
            10,
        )
        .await
        .unwrap();
        let mail = store.get(&id).await.unwrap();
        assert_eq!(mail.attempts, attempt);
        assert!(mail.last_error.is_some());
        if attempt < 4 {
            assert_eq!(
                round,
                Round {
                    failed: 1,
                    ..Round::default()
                },
                "attempt {attempt}"
            );
            assert_eq!(mail.state, MailState::Failed);
            let full = (60_000_i64 << (attempt - 1)).min(150_000);
            let wait = mail.next_attempt_ms - clock.now_ms();
            assert!(
                (full / 2..=full).contains(&wait),
                "attempt {attempt}: {wait} of {full}"
            );
            // Not due a moment before its time: a round then does nothing.
            clock.set(mail.next_attempt_ms - 1);
            let early = deliver_due(
                &store,
                Some(&smtp),
                &sender(),
                policy,
                &clock,
                &OsRandom,
                10,
            )
            .await
            .unwrap();
            assert_eq!(early, Round::default());
            clock.set(mail.next_attempt_ms);
        } else {
            assert_eq!(
                round,
                Round {
                    dead: 1,
                    ..Round::default()
                }
            );
            assert_eq!(mail.state, MailState::Dead);
        }
    }
    clock.advance(86_400_000);
    let after = deliver_due(
        &store,
        Some(&smtp),
        &sender(),
        policy,
        &clock,
        &OsRandom,
        10,
    )
    .await
    .unwrap();
    assert_eq!(after, Round::default(), "dead mail is not tried again");
}

#[tokio::test]
async fn a_row_edited_to_inject_a_header_is_dead_not_sent() {
    let (store, _dir) = store().await;
    let id = enqueue(&store, T0).await;
    let Store::Sqlite(pool) = &store else {
        unreachable!()
    };
    sqlx::query("UPDATE mail_outbox SET to_addr = $1 WHERE id = $2")
        .bind("a@example.no\r\nBcc: x@example.no")
        .bind(&id)
        .execute(pool)
        .await
        .unwrap();
    // The relay is never reached: a closed port would fail the attempt, not kill it.
    let round = deliver_due(
        &store,
        Some(&closed_relay()),
        &sender(),
        RetryPolicy::default(),
        &ManualClock::at(T0),
        &OsRandom,
        10,
    )
    .await
    .unwrap();
    assert_eq!(
        round,
        Round {
            dead: 1,
            ..Round::default()
        }
    );
    let mail = store.get(&id).await.unwrap();
    assert_eq!(mail.state, MailState::Dead);
    assert!(mail.last_error.unwrap().contains("line break"));
}
