//! The counters' statements: the upserts the writer adds a batch's tally with (its
//! `write::sql`, inside the batch's transaction) and the reads. Sums are cast to BIGINT, as
//! PostgreSQL's `SUM(bigint)` is NUMERIC.

/// The upsert of `consent_daily` rows, up to its `VALUES`.
pub const DAILY_INSERT: &str =
    "INSERT INTO consent_daily (site, day, revision, language, action, gpc, records) ";
pub const DAILY_CONFLICT: &str = " ON CONFLICT (site, day, revision, language, action, gpc) \
     DO UPDATE SET records = consent_daily.records + excluded.records";
pub const CHOICES_INSERT: &str = "INSERT INTO consent_daily_choices \
     (site, day, revision, language, kind, item, decided, granted) ";
pub const CHOICES_CONFLICT: &str = " ON CONFLICT (site, day, revision, language, kind, item) \
     DO UPDATE SET decided = consent_daily_choices.decided + excluded.decided, \
     granted = consent_daily_choices.granted + excluded.granted";

/// Rows per multi-row upsert (8 parameters each).
pub const CHUNK: usize = 256;

crate::backend::per_backend! {
    use sqlx::Row as _;

    use crate::error::StoreError;
    use crate::ledger::counts::{
        BannerView, ChoiceCount, CountFilter, DayCount, ViewCount, view_tally,
    };

    fn push_filter<'a>(q: &mut sqlx::QueryBuilder<'a, Db>, filter: &'a CountFilter) {
        q.push(" WHERE site = ")
            .push_bind(filter.site.as_str())
            .push(" AND day >= ")
            .push_bind(filter.from_day)
            .push(" AND day <= ")
            .push_bind(filter.to_day);
        if let Some(revision) = &filter.revision {
            q.push(" AND revision = ").push_bind(revision.as_str());
        }
        if let Some(language) = &filter.language {
            q.push(" AND language = ").push_bind(language.as_str());
        }
    }

    pub async fn daily(pool: &Pool, filter: &CountFilter) -> Result<Vec<DayCount>, StoreError> {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "SELECT day, action, gpc, CAST(SUM(records) AS BIGINT) AS records FROM consent_daily",
        );
        push_filter(&mut q, filter);
        q.push(" GROUP BY day, action, gpc ORDER BY day, action, gpc");
        let rows = q.build().fetch_all(pool).await?;
        rows.iter()
            .map(|r| {
                Ok(DayCount {
                    day: r.try_get("day")?,
                    action: r.try_get("action")?,
                    gpc: r.try_get("gpc")?,
                    records: r.try_get("records")?,
                })
            })
            .collect()
    }

    pub async fn choices(pool: &Pool, filter: &CountFilter) -> Result<Vec<ChoiceCount>, StoreError> {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "SELECT kind, item, CAST(SUM(decided) AS BIGINT) AS decided, CAST(SUM(granted) AS BIGINT) AS granted \
             FROM consent_daily_choices",
        );
        push_filter(&mut q, filter);
        q.push(" GROUP BY kind, item ORDER BY kind, item");
        let rows = q.build().fetch_all(pool).await?;
        rows.iter()
            .map(|r| {
                Ok(ChoiceCount {
                    kind: r.try_get("kind")?,
                    item: r.try_get("item")?,
                    decided: r.try_get("decided")?,
                    granted: r.try_get("granted")?,
                })
            })
            .collect()
    }

    /// Each table on its own (each a range of its primary key), merged here: a revision in
    /// the order it was first counted, the languages sorted.
    pub async fn facets(pool: &Pool, site: &str) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let mut first_day: std::collections::BTreeMap<String, i64> = Default::default();
        let mut languages: std::collections::BTreeSet<String> = Default::default();
        for table in ["consent_daily", "banner_views_daily"] {
            let rows = sqlx::query(&format!(
                "SELECT revision, MIN(day) AS first FROM {table} WHERE site = $1 GROUP BY revision"
            ))
            .bind(site)
            .fetch_all(pool)
            .await?;
            for row in &rows {
                let day: i64 = row.try_get("first")?;
                let first = first_day.entry(row.try_get("revision")?).or_insert(day);
                *first = (*first).min(day);
            }
            let rows = sqlx::query(&format!(
                "SELECT DISTINCT language FROM {table} WHERE site = $1"
            ))
            .bind(site)
            .fetch_all(pool)
            .await?;
            for row in &rows {
                languages.insert(row.try_get("language")?);
            }
        }
        let mut revisions: Vec<(i64, String)> =
            first_day.into_iter().map(|(revision, day)| (day, revision)).collect();
        revisions.sort();
        Ok((
            revisions.into_iter().map(|(_, revision)| revision).collect(),
            languages.into_iter().collect(),
        ))
    }

    pub async fn add_views(pool: &Pool, views: &[BannerView]) -> Result<(), StoreError> {
        let tally = view_tally(views);
        let mut tx = pool.begin().await?;
        for ((site, day, revision, language), (shown, ignored)) in tally {
            sqlx::query(
                "INSERT INTO banner_views_daily (site, day, revision, language, shown, ignored) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (site, day, revision, language) DO UPDATE SET \
                 shown = banner_views_daily.shown + excluded.shown, \
                 ignored = banner_views_daily.ignored + excluded.ignored",
            )
            .bind(site)
            .bind(day)
            .bind(revision)
            .bind(language)
            .bind(shown)
            .bind(ignored)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn views(pool: &Pool, filter: &CountFilter) -> Result<Vec<ViewCount>, StoreError> {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "SELECT day, CAST(SUM(shown) AS BIGINT) AS shown, CAST(SUM(ignored) AS BIGINT) AS ignored \
             FROM banner_views_daily",
        );
        push_filter(&mut q, filter);
        q.push(" GROUP BY day ORDER BY day");
        let rows = q.build().fetch_all(pool).await?;
        rows.iter()
            .map(|r| {
                Ok(ViewCount {
                    day: r.try_get("day")?,
                    shown: r.try_get("shown")?,
                    ignored: r.try_get("ignored")?,
                })
            })
            .collect()
    }
}
