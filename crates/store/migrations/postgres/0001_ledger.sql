-- The consent ledger: append-only, hash-chained per writer chain (see docs/ledger.md).
CREATE TABLE IF NOT EXISTS consent_records (
    id               TEXT    NOT NULL PRIMARY KEY,
    chain_id         TEXT    NOT NULL,
    seq              BIGINT  NOT NULL,
    recorded_at_ms   BIGINT  NOT NULL,
    expires_at_ms    BIGINT  NOT NULL,
    site             TEXT    NOT NULL,
    revision         TEXT    NOT NULL,
    language         TEXT    NOT NULL,
    action           TEXT    NOT NULL,
    categories       TEXT    NOT NULL,
    services         TEXT    NOT NULL,
    previous_receipt TEXT,
    gpc              BOOLEAN NOT NULL,
    ip_prefix        TEXT,
    ua_family        TEXT    NOT NULL,
    prev_hash        TEXT    NOT NULL,
    hash             TEXT    NOT NULL,
    UNIQUE (chain_id, seq)
);
CREATE INDEX IF NOT EXISTS consent_records_site_time ON consent_records (site, recorded_at_ms);
CREATE INDEX IF NOT EXISTS consent_records_time ON consent_records (recorded_at_ms);
CREATE INDEX IF NOT EXISTS consent_records_previous ON consent_records (previous_receipt);

-- One row per writer chain; the head is updated in the same transaction as each batch, so a
-- chain cut short at its end is detected too.
CREATE TABLE IF NOT EXISTS ledger_chains (
    chain_id      TEXT    NOT NULL PRIMARY KEY,
    created_at_ms BIGINT  NOT NULL,
    head_seq      BIGINT  NOT NULL,
    head_hash     TEXT    NOT NULL
);

-- Small facts about this installation, such as the default instance id.
CREATE TABLE IF NOT EXISTS kapsel_meta (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
