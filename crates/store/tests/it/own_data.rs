//! Kapsel's own data past its period on both backends: only sent mail before the cutoff goes
//! (queued and kept mail stays), only links expired before it, and only closed cases lose
//! their address and identifiers (open ones are untouched). Rows are counted by a no-op
//! UPDATE, whose affected rows both backends report.

use kapsel_store::OwnData;

use super::backends::{T0, TestBackend, on_every_backend};

on_every_backend!(only_what_is_past_its_period_goes,);

async fn only_what_is_past_its_period_goes(backend: &TestBackend) {
    for (id, state, created) in [
        ("m-old-sent", "sent", T0 - 10),
        ("m-old-kept", "kept", T0 - 10),
        ("m-old-queued", "queued", T0 - 10),
        ("m-new-sent", "sent", T0 + 10),
    ] {
        backend
            .raw(&format!(
                "INSERT INTO mail_outbox (id, created_ms, to_addr, subject, body_text, \
                 message_id, template, state, next_attempt_ms) VALUES ('{id}', {created}, \
                 'kari@example.no', 's', 'b', '<{id}@kapsel>', 't', '{state}', 0)"
            ))
            .await;
    }
    for (id, state) in [
        ("C-open", "in_progress"),
        ("C-done", "completed"),
        ("C-lapsed", "lapsed"),
    ] {
        backend
            .raw(&format!(
                "INSERT INTO desk_cases (id, site, requested_right, state, email, identifiers, \
                 received_ms, period_months, legal_due, target, ends_at_ms, lapses_at_ms, \
                 head_seq, head_hash, updated_ms, lang) VALUES ('{id}', 'www', 'access', \
                 '{state}', 'kari@example.no', '{{\"customer-no\":\"K-1\"}}', 0, 1, \
                 '2026-01-01', '2026-01-01', 0, 0, 1, 'h', {}, 'nb')",
                T0 - 10
            ))
            .await;
    }
    for (token, expires) in [("old", T0 - 10), ("new", T0 + 10)] {
        backend
            .raw(&format!(
                "INSERT INTO desk_links (token_hash, case_id, purpose, issued_ms, expires_ms) \
                 VALUES ('{token}', 'C-open', 'status', 0, {expires})"
            ))
            .await;
    }
    let store = &backend.store;
    assert_eq!(store.delete_sent_mail(T0).await.unwrap(), 1);
    assert_eq!(store.delete_expired_links(T0).await.unwrap(), 1);
    assert_eq!(store.scrub_closed_cases(T0).await.unwrap(), 2);
    assert_eq!(store.scrub_closed_cases(T0).await.unwrap(), 0, "once");
    assert_eq!(backend.raw("UPDATE mail_outbox SET id = id").await, 3);
    assert_eq!(
        backend
            .raw("UPDATE desk_cases SET id = id WHERE email = '' AND identifiers = '{}'")
            .await,
        2
    );
    assert_eq!(
        backend
            .raw("UPDATE desk_cases SET id = id WHERE id = 'C-open' AND email = 'kari@example.no'")
            .await,
        1
    );
}
