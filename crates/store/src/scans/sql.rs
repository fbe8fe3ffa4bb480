//! The statements of the scanner's reports (`scan_reports`).

crate::backend::per_backend! {
    use sqlx::Row as _;

    use crate::error::StoreError;
    use crate::scans::StoredScan;

    pub async fn insert(pool: &Pool, s: &StoredScan) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO scan_reports (site, started_ms, finished_ms, pages, violations, \
             uploaded_ms, report) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&s.site)
        .bind(s.started_ms)
        .bind(s.finished_ms)
        .bind(s.pages)
        .bind(s.violations)
        .bind(s.uploaded_ms)
        .bind(&s.report)
        .fetch_one(pool)
        .await?;
        Ok(row.try_get("id")?)
    }

    pub async fn latest(pool: &Pool) -> Result<Vec<StoredScan>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.site, r.started_ms, r.finished_ms, r.pages, r.violations, \
             r.uploaded_ms, r.report FROM scan_reports r \
             WHERE r.id = (SELECT MAX(n.id) FROM scan_reports n WHERE n.site = r.site) \
             ORDER BY r.site",
        )
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredScan {
                    id: r.try_get("id")?,
                    site: r.try_get("site")?,
                    started_ms: r.try_get("started_ms")?,
                    finished_ms: r.try_get("finished_ms")?,
                    pages: r.try_get("pages")?,
                    violations: r.try_get("violations")?,
                    uploaded_ms: r.try_get("uploaded_ms")?,
                    report: r.try_get("report")?,
                })
            })
            .collect()
    }
}
