-- How often the banner's first layer was shown, and how often the visitor left the page with it
-- still open and no choice made ("ignored"), per UTC day, site, revision and language. The
-- banner reports both without any identifier (POST /v1/banner-views); only these sums are kept.
CREATE TABLE IF NOT EXISTS banner_views_daily (
    site     TEXT   NOT NULL,
    day      BIGINT NOT NULL,
    revision TEXT   NOT NULL,
    language TEXT   NOT NULL,
    shown    BIGINT NOT NULL DEFAULT 0,
    ignored  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (site, day, revision, language)
);
