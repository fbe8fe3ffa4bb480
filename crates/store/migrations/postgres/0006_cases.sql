-- The request desk: one row per data-subject request, holding the request, where it stands,
-- its dates and the head of its history; and the history itself, append-only and hash-chained
-- per case (encoding kapsel-case-event/v1, see kapsel_core::desk::hash). The head is moved in
-- the same transaction as each event, so events cut from the end are detected too.
-- The right is in requested_right: RIGHT is a keyword in both dialects.
CREATE TABLE IF NOT EXISTS desk_cases (
    id              TEXT    NOT NULL PRIMARY KEY,
    site            TEXT    NOT NULL,
    requested_right TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    email           TEXT    NOT NULL,
    identifiers     TEXT    NOT NULL,
    received_ms     BIGINT  NOT NULL,
    period_months   INTEGER NOT NULL,
    legal_due       TEXT    NOT NULL,
    target          TEXT    NOT NULL,
    ends_at_ms      BIGINT  NOT NULL,
    lapses_at_ms    BIGINT  NOT NULL,
    head_seq        BIGINT  NOT NULL,
    head_hash       TEXT    NOT NULL,
    updated_ms      BIGINT  NOT NULL
);

-- The inbox: open cases, soonest deadline first. Queries repeat this predicate word for word
-- so that SQLite uses the partial index.
CREATE INDEX IF NOT EXISTS desk_cases_open_by_deadline ON desk_cases (ends_at_ms, id)
    WHERE state NOT IN ('completed', 'refused', 'withdrawn', 'lapsed');

CREATE TABLE IF NOT EXISTS desk_case_events (
    case_id   TEXT    NOT NULL REFERENCES desk_cases (id),
    seq       BIGINT  NOT NULL,
    at_ms     BIGINT  NOT NULL,
    actor     TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL,
    PRIMARY KEY (case_id, seq)
);
