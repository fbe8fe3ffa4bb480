-- The instance signing keys, the signed checkpoints of each chain's head, and the signed
-- acknowledgements of gaps that `kapsel ledger repair` appends (see docs/ledger.md). Rows here
-- are only ever inserted, except that a key's validity ends when another replaces it.
CREATE TABLE IF NOT EXISTS signing_keys (
    public_key     TEXT    NOT NULL PRIMARY KEY,
    key_id         TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    holder         TEXT    NOT NULL,
    valid_from_ms  INTEGER NOT NULL,
    valid_until_ms INTEGER
);

CREATE TABLE IF NOT EXISTS ledger_checkpoints (
    chain_id     TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    head_hash    TEXT    NOT NULL,
    signed_at_ms INTEGER NOT NULL,
    key_id       TEXT    NOT NULL,
    note         TEXT    NOT NULL,
    PRIMARY KEY (chain_id, size)
);

CREATE TABLE IF NOT EXISTS ledger_gaps (
    chain_id           TEXT    NOT NULL,
    first_missing      INTEGER NOT NULL,
    last_missing       INTEGER NOT NULL,
    acknowledged_at_ms INTEGER NOT NULL,
    note               TEXT    NOT NULL,
    PRIMARY KEY (chain_id, first_missing)
);
