-- What carrying out a request leaves behind in Kapsel's own store.
--
-- The access bundle (a ZIP) of an access or portability case: kept until it expires, then
-- deleted by the server's sweep; every download is recorded in the case's history.
CREATE TABLE IF NOT EXISTS desk_bundles (
    case_id    TEXT    NOT NULL PRIMARY KEY REFERENCES desk_cases (id),
    sha256     TEXT    NOT NULL,
    bytes      BYTEA    NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS desk_bundles_by_expiry ON desk_bundles (expires_ms);

-- The suppression list of restriction (art. 18) and objection (art. 21): one row per keyed
-- hash of a requester's identifier and activity, so that the retention engine and the event
-- gate can ask "is this subject's data restricted for this activity?" without the list
-- holding any identifier in the clear.
CREATE TABLE IF NOT EXISTS desk_suppressions (
    subject_hash TEXT    NOT NULL,
    activity     TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    case_id      TEXT    NOT NULL REFERENCES desk_cases (id),
    created_ms   BIGINT NOT NULL,
    PRIMARY KEY (subject_hash, activity, kind)
);

-- The language the requester wrote in: every later mail of the case is in it.
ALTER TABLE desk_cases ADD COLUMN lang TEXT NOT NULL DEFAULT 'nb';
