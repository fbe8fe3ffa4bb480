-- The requester's links (kapsel_core::desk::token): only the SHA-256 of each token is kept, so
-- whoever reads the database cannot follow a link. A verification link is used up when
-- redeemed (used_ms); a status link may be redeemed until it expires.
CREATE TABLE IF NOT EXISTS desk_links (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    case_id    TEXT    NOT NULL REFERENCES desk_cases (id),
    purpose    TEXT    NOT NULL,
    issued_ms  INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL,
    used_ms    INTEGER
);

-- Expired links are removed by their case (and by retention) without a scan.
CREATE INDEX IF NOT EXISTS desk_links_by_case ON desk_links (case_id);
CREATE INDEX IF NOT EXISTS desk_links_by_expiry ON desk_links (expires_ms);
