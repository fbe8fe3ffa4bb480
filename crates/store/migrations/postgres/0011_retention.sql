-- The retention engine's proof of disposal: one hash chain of records per rule (run started,
-- batch started, batch done, partition dropped, run stopped or finished), appended under the
-- rule's lease and never changed; and the legal holds that keep data past its period, released
-- by recording who and when beside the hold, never by removing it.
CREATE TABLE IF NOT EXISTS retention_records (
    rule      TEXT    NOT NULL,
    seq       BIGINT NOT NULL,
    at_ms     BIGINT NOT NULL,
    actor     TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL,
    PRIMARY KEY (rule, seq)
);

CREATE TABLE IF NOT EXISTS retention_holds (
    id          TEXT    NOT NULL PRIMARY KEY,
    scope       TEXT    NOT NULL,
    owner       TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    created_ms  BIGINT NOT NULL,
    expires_ms  BIGINT NOT NULL,
    released_ms BIGINT,
    released_by TEXT,
    reminded_ms BIGINT
);
