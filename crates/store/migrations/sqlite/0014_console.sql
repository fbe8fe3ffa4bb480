-- The console (issue #15): its operators, their sessions, failed sign-ins, its audit log, and
-- the consent counters its overview reads.

-- Operators. Names are stored trimmed and lower-cased; the password is an argon2id PHC string;
-- the TOTP secret is hex, and its last used time step stops a code from being used twice.
CREATE TABLE IF NOT EXISTS console_accounts (
    name           TEXT    NOT NULL PRIMARY KEY,
    role           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    totp_secret    TEXT,
    totp_last_step INTEGER,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_ms     INTEGER NOT NULL,
    changed_ms     INTEGER NOT NULL
);

-- Sessions, by the SHA-256 of the cookie's token (the token itself is never stored). A session
-- is 'pending' between a right password and the second factor, then 'full'.
CREATE TABLE IF NOT EXISTS console_sessions (
    token_hash   TEXT    NOT NULL PRIMARY KEY,
    account      TEXT    NOT NULL REFERENCES console_accounts (name),
    stage        TEXT    NOT NULL,
    csrf_token   TEXT    NOT NULL,
    created_ms   INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    prefix       TEXT
);
CREATE INDEX IF NOT EXISTS console_sessions_account ON console_sessions (account);

-- OpenID Connect sign-ins under way: the SHA-256 of the state sent to the provider, and the
-- nonce and PKCE verifier the answer is checked with (taken once, at the callback).
CREATE TABLE IF NOT EXISTS console_oidc_pending (
    state_hash TEXT    NOT NULL PRIMARY KEY,
    nonce      TEXT    NOT NULL,
    verifier   TEXT    NOT NULL,
    lang       TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);

-- Failed sign-ins, one row each, keyed 'account:<name typed>' and 'prefix:<address prefix>'.
CREATE TABLE IF NOT EXISTS console_sign_in_failures (
    key   TEXT    NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS console_sign_in_failures_key ON console_sign_in_failures (key, at_ms);

-- What operators did, hash-chained (kapsel-console-audit/v1), with its head beside it so a cut
-- at the end shows.
CREATE TABLE IF NOT EXISTS console_audit (
    seq       INTEGER NOT NULL PRIMARY KEY,
    at_ms     INTEGER NOT NULL,
    actor     TEXT    NOT NULL,
    action    TEXT    NOT NULL,
    target    TEXT    NOT NULL,
    prefix    TEXT,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS console_audit_head (
    id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
-- The head before the first entry: seq 0 at the genesis hash. Every append locks this row
-- first, so appends from any number of instances queue up and the log stays one chain.
INSERT INTO console_audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Consent counters per UTC day, kept by the ledger writer in the transaction of each batch, so
-- they always equal a recount of the ledger's records (up to a prune, which keeps them).
CREATE TABLE IF NOT EXISTS consent_daily (
    site     TEXT    NOT NULL,
    day      INTEGER NOT NULL,
    revision TEXT    NOT NULL,
    language TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    gpc      INTEGER NOT NULL,
    records  INTEGER NOT NULL,
    PRIMARY KEY (site, day, revision, language, action, gpc)
);

-- Per category and service: in how many of the day's records it was decided, and granted.
CREATE TABLE IF NOT EXISTS consent_daily_choices (
    site     TEXT    NOT NULL,
    day      INTEGER NOT NULL,
    revision TEXT    NOT NULL,
    language TEXT    NOT NULL,
    kind     TEXT    NOT NULL,
    item     TEXT    NOT NULL,
    decided  INTEGER NOT NULL,
    granted  INTEGER NOT NULL,
    PRIMARY KEY (site, day, revision, language, kind, item)
);

-- The records written before this migration, counted once.
INSERT INTO consent_daily (site, day, revision, language, action, gpc, records)
SELECT site, recorded_at_ms / 86400000, revision, language, action, gpc, COUNT(*)
FROM consent_records
GROUP BY site, recorded_at_ms / 86400000, revision, language, action, gpc;

INSERT INTO consent_daily_choices (site, day, revision, language, kind, item, decided, granted)
SELECT r.site, r.recorded_at_ms / 86400000, r.revision, r.language, 'category', j.key, COUNT(*),
       SUM(CASE WHEN j.value = 1 THEN 1 ELSE 0 END)
FROM consent_records AS r, json_each(r.categories) AS j
GROUP BY r.site, r.recorded_at_ms / 86400000, r.revision, r.language, j.key;

INSERT INTO consent_daily_choices (site, day, revision, language, kind, item, decided, granted)
SELECT r.site, r.recorded_at_ms / 86400000, r.revision, r.language, 'service', j.key, COUNT(*),
       SUM(CASE WHEN j.value = 1 THEN 1 ELSE 0 END)
FROM consent_records AS r, json_each(r.services) AS j
GROUP BY r.site, r.recorded_at_ms / 86400000, r.revision, r.language, j.key;
