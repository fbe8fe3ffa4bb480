-- Leases of background jobs: one row per job name, held by one instance until it expires, so
-- that two Kapsel instances on one store never run the same job at once. Taking a lease is one
-- conditional upsert; an expired lease can be taken by anyone.
CREATE TABLE IF NOT EXISTS job_leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_ms BIGINT NOT NULL
);
