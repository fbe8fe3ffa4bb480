-- The scanner's reports (kapsel scan --upload), kept so that the console shows how each site
-- behaved when it was last crawled. The report is the scanner's JSON as it was sent.
CREATE TABLE IF NOT EXISTS scan_reports (
    id          BIGSERIAL PRIMARY KEY,
    site        TEXT    NOT NULL,
    started_ms  BIGINT NOT NULL,
    finished_ms BIGINT NOT NULL,
    pages       BIGINT NOT NULL,
    violations  BIGINT NOT NULL,
    uploaded_ms BIGINT NOT NULL,
    report      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS scan_reports_site ON scan_reports (site, finished_ms);
