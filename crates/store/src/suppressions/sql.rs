//! The statements of the suppression list (`desk_suppressions`).

crate::backend::per_backend! {
    use sqlx::Row as _;

    use crate::error::StoreError;
    use crate::suppressions::Suppression;

    pub async fn insert(pool: &Pool, entry: &Suppression) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO desk_suppressions (subject_hash, activity, kind, case_id, created_ms) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (subject_hash, activity, kind) DO NOTHING",
        )
        .bind(&entry.subject_hash)
        .bind(&entry.activity)
        .bind(&entry.kind)
        .bind(&entry.case_id)
        .bind(entry.created_ms)
        .execute(pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    fn entry(r: &<Db as sqlx::Database>::Row) -> Suppression {
        Suppression {
            subject_hash: r.get("subject_hash"),
            activity: r.get("activity"),
            kind: r.get("kind"),
            case_id: r.get("case_id"),
            created_ms: r.get("created_ms"),
        }
    }

    pub async fn for_subject(
        pool: &Pool,
        subject_hash: &str,
        activity: &str,
    ) -> Result<Vec<Suppression>, StoreError> {
        let rows = sqlx::query(
            "SELECT subject_hash, activity, kind, case_id, created_ms FROM desk_suppressions \
             WHERE subject_hash = $1 AND activity = $2 ORDER BY kind",
        )
        .bind(subject_hash)
        .bind(activity)
        .fetch_all(pool)
        .await?;
        Ok(rows.iter().map(entry).collect())
    }

    pub async fn of_case(pool: &Pool, case_id: &str) -> Result<Vec<Suppression>, StoreError> {
        let rows = sqlx::query(
            "SELECT subject_hash, activity, kind, case_id, created_ms FROM desk_suppressions \
             WHERE case_id = $1 ORDER BY activity, kind, subject_hash",
        )
        .bind(case_id)
        .fetch_all(pool)
        .await?;
        Ok(rows.iter().map(entry).collect())
    }
}
