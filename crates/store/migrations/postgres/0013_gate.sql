-- The consent gate's event outbox and decision trace.
--
-- gate_events: one row per accepted message, minimised at the edge (truncated address, user-agent
-- family, only fields some destination's allow-list names). receipt: the Kapsel receipt the event
-- named; consent: the categories Segment's categoryPreferences granted, as a JSON array, when the
-- site trusts them (NULL otherwise); subjects: keyed hashes of the subject's identifiers, for the
-- desk's objection and restriction list. body and subjects are emptied once every destination is
-- settled and the event is older than the gate's keep period; the trace stays.
CREATE TABLE IF NOT EXISTS gate_events (
    site        TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    received_ms BIGINT  NOT NULL,
    receipt     TEXT    NULL,
    consent     TEXT    NULL,
    subjects    TEXT    NOT NULL,
    body        TEXT    NULL,
    PRIMARY KEY (site, message_id)
);

-- gate_deliveries: one row per event and destination — the queue while pending or failed, and the
-- decision trace once settled. state: pending (not tried) | failed (tried; retried at next_ms) |
-- forwarded | blocked (reason names the category, receipt problem or desk flag) | dead (gave up;
-- reason is the last error; `kapsel gate replay` queues it again).
CREATE TABLE IF NOT EXISTS gate_deliveries (
    site        TEXT    NOT NULL,
    message_id  TEXT    NOT NULL,
    destination TEXT    NOT NULL,
    state       TEXT    NOT NULL
        CHECK (state IN ('pending', 'failed', 'forwarded', 'blocked', 'dead')),
    reason      TEXT    NULL,
    attempts    BIGINT  NOT NULL DEFAULT 0,
    received_ms BIGINT  NOT NULL,
    next_ms     BIGINT  NOT NULL,
    decided_ms  BIGINT  NULL,
    receipt     TEXT    NULL,
    PRIMARY KEY (site, message_id, destination),
    FOREIGN KEY (site, message_id) REFERENCES gate_events (site, message_id)
);

-- A delivery round: one destination's due rows. Queries repeat the predicate word for word so
-- that SQLite uses the partial index.
CREATE INDEX IF NOT EXISTS gate_deliveries_due ON gate_deliveries (destination, next_ms)
    WHERE state IN ('pending', 'failed');
-- `kapsel gate trace RECEIPT`.
CREATE INDEX IF NOT EXISTS gate_deliveries_by_receipt ON gate_deliveries (receipt)
    WHERE receipt IS NOT NULL;
-- The trace by time, and the counts per destination and state.
CREATE INDEX IF NOT EXISTS gate_deliveries_by_time ON gate_deliveries (received_ms);
CREATE INDEX IF NOT EXISTS gate_deliveries_by_state ON gate_deliveries (destination, state);
