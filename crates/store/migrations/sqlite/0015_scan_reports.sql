-- The scanner's reports (kapsel scan --upload), kept so that the console shows how each site
-- behaved when it was last crawled. The report is the scanner's JSON as it was sent.
CREATE TABLE IF NOT EXISTS scan_reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    site        TEXT    NOT NULL,
    started_ms  INTEGER NOT NULL,
    finished_ms INTEGER NOT NULL,
    pages       INTEGER NOT NULL,
    violations  INTEGER NOT NULL,
    uploaded_ms INTEGER NOT NULL,
    report      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS scan_reports_site ON scan_reports (site, finished_ms);
