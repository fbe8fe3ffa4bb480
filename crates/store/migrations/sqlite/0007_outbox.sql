-- Outgoing mail, kept next to the data it is about: a message is inserted and committed before
-- any attempt to send it, so a crash between the request and the SMTP round loses nothing.
-- state: queued (not tried yet) | failed (tried, retried at next_attempt_ms) | sent | kept (no
-- SMTP configured; left for `kapsel outbox`) | dead (gave up after the last attempt).
-- case_id is not a foreign key: test messages have no case, and a case may be erased while the
-- record that its mail went out stays.
CREATE TABLE IF NOT EXISTS mail_outbox (
    id              TEXT    NOT NULL PRIMARY KEY,
    created_ms      INTEGER NOT NULL,
    to_addr         TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body_text       TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    template        TEXT    NOT NULL,
    case_id         TEXT    NULL,
    state           TEXT    NOT NULL
        CHECK (state IN ('queued', 'sent', 'kept', 'failed', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_error      TEXT    NULL,
    sent_ms         INTEGER NULL
);

-- A delivery round: pending messages, soonest attempt first. Queries repeat this predicate word
-- for word so that SQLite uses the partial index.
CREATE INDEX IF NOT EXISTS mail_outbox_due ON mail_outbox (next_attempt_ms, id)
    WHERE state IN ('queued', 'failed');

-- `kapsel outbox list --state S`.
CREATE INDEX IF NOT EXISTS mail_outbox_by_state ON mail_outbox (state, created_ms, id);
