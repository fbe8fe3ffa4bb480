//! The statements of published revisions (`published_revisions`).

crate::backend::per_backend! {
    use sqlx::Row as _;

    use crate::error::StoreError;
    use crate::revisions::PublishedRevision;

    pub async fn publish_revision(
        pool: &Pool,
        site: &str,
        revision: &str,
        at_ms: i64,
        document: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO published_revisions (site, revision, first_published_ms, document) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (site, revision) DO NOTHING",
        )
        .bind(site)
        .bind(revision)
        .bind(at_ms)
        .bind(document)
        .execute(pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn revision_known(
        pool: &Pool,
        site: &str,
        revision: &str,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS known FROM published_revisions WHERE site = $1 AND revision = $2",
        )
        .bind(site)
        .bind(revision)
        .fetch_optional(pool)
        .await?;
        Ok(row.is_some())
    }

    /// Every kept revision of every site, by site and time.
    pub async fn all_revisions(pool: &Pool) -> Result<Vec<(String, PublishedRevision)>, StoreError> {
        let rows = sqlx::query(
            "SELECT site, revision, first_published_ms, document FROM published_revisions \
             ORDER BY site, first_published_ms, revision",
        )
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("site")?,
                    PublishedRevision {
                        revision: row.try_get("revision")?,
                        first_published_ms: row.try_get("first_published_ms")?,
                        document: row.try_get("document")?,
                    },
                ))
            })
            .collect()
    }

    /// `(site, revision, records)` for each revision records were made under that has no
    /// kept document.
    pub async fn unkept_revisions(pool: &Pool) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.site, r.revision, COUNT(*) AS records FROM consent_records AS r \
             WHERE NOT EXISTS (SELECT 1 FROM published_revisions AS p \
                               WHERE p.site = r.site AND p.revision = r.revision) \
             GROUP BY r.site, r.revision ORDER BY r.site, r.revision",
        )
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("site")?,
                    row.try_get("revision")?,
                    row.try_get("records")?,
                ))
            })
            .collect()
    }

    pub async fn revisions(pool: &Pool, site: &str) -> Result<Vec<PublishedRevision>, StoreError> {
        let rows = sqlx::query(
            "SELECT revision, first_published_ms, document FROM published_revisions \
             WHERE site = $1 ORDER BY first_published_ms, revision",
        )
        .bind(site)
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PublishedRevision {
                    revision: row.try_get("revision")?,
                    first_published_ms: row.try_get("first_published_ms")?,
                    document: row.try_get("document")?,
                })
            })
            .collect()
    }
}
