-- Every site revision that was ever published, with the document the visitor saw.
CREATE TABLE IF NOT EXISTS published_revisions (
    site               TEXT    NOT NULL,
    revision           TEXT    NOT NULL,
    first_published_ms INTEGER NOT NULL,
    document           TEXT    NOT NULL,
    PRIMARY KEY (site, revision)
);
