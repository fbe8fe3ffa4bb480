//! The statements of disposal records (`retention_records`) and holds (`retention_holds`).

crate::backend::per_backend! {
    shared {
        use std::collections::BTreeMap;

        use sqlx::Row as _;
        use kapsel_core::retention::hold::{Hold, HoldScope};
        use kapsel_core::retention::record::{DisposalKind, DisposalRecord, NewDisposal};

        use crate::backend::column;
        use crate::error::StoreError;

        fn corrupt(id: &str, column: &'static str, reason: impl ToString) -> StoreError {
            StoreError::CorruptRow {
                id: id.to_owned(),
                column,
                reason: reason.to_string(),
            }
        }

        fn record(row: &<Db as sqlx::Database>::Row) -> Result<DisposalRecord, StoreError> {
            let rule: String = column(row, "?", "rule")?;
            let kind: String = column(row, &rule, "kind")?;
            let detail: String = column(row, &rule, "detail")?;
            Ok(DisposalRecord {
                seq: column(row, &rule, "seq")?,
                at_ms: column(row, &rule, "at_ms")?,
                actor: column(row, &rule, "actor")?,
                kind: DisposalKind::from_name(&kind)
                    .ok_or_else(|| corrupt(&rule, "kind", &kind))?,
                detail: serde_json::from_str::<BTreeMap<String, String>>(&detail)
                    .map_err(|e| corrupt(&rule, "detail", e))?,
                prev_hash: column(row, &rule, "prev_hash")?,
                hash: column(row, &rule, "hash")?,
                rule,
            })
        }

        const RECORD_COLUMNS: &str = "rule, seq, at_ms, actor, kind, detail, prev_hash, hash";

        /// Seals `new` after the rule's head and inserts it, in one transaction.
        pub async fn append(
            pool: &Pool,
            rule: &str,
            new: NewDisposal,
        ) -> Result<DisposalRecord, StoreError> {
            let mut conn = pool.acquire().await?;
            let mut tx = begin_write(&mut conn).await?;
            let head = sqlx::query(
                "SELECT seq, hash FROM retention_records WHERE rule = $1 \
                 ORDER BY seq DESC LIMIT 1",
            )
            .bind(rule)
            .fetch_optional(&mut *tx)
            .await?;
            let (seq, prev) = match head {
                Some(row) => (
                    column::<_, i64>(&row, rule, "seq")? + 1,
                    column::<_, String>(&row, rule, "hash")?,
                ),
                None => (1, DisposalRecord::genesis().to_owned()),
            };
            let sealed = DisposalRecord::seal(rule, seq, &prev, new);
            let detail = serde_json::to_string(&sealed.detail)
                .map_err(|e| corrupt(rule, "detail", e))?;
            sqlx::query(&format!(
                "INSERT INTO retention_records ({RECORD_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ))
            .bind(&sealed.rule)
            .bind(sealed.seq)
            .bind(sealed.at_ms)
            .bind(&sealed.actor)
            .bind(sealed.kind.name())
            .bind(detail)
            .bind(&sealed.prev_hash)
            .bind(&sealed.hash)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(sealed)
        }

        /// The records of `rule` in seq order; with `last`, only that many of the newest.
        pub async fn records(
            pool: &Pool,
            rule: &str,
            last: Option<i64>,
        ) -> Result<Vec<DisposalRecord>, StoreError> {
            let rows = match last {
                None => {
                    sqlx::query(&format!(
                        "SELECT {RECORD_COLUMNS} FROM retention_records WHERE rule = $1 \
                         ORDER BY seq"
                    ))
                    .bind(rule)
                    .fetch_all(pool)
                    .await?
                }
                Some(n) => {
                    sqlx::query(&format!(
                        "SELECT {RECORD_COLUMNS} FROM retention_records WHERE rule = $1 \
                         ORDER BY seq DESC LIMIT $2"
                    ))
                    .bind(rule)
                    .bind(n)
                    .fetch_all(pool)
                    .await?
                }
            };
            let mut records = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
            records.sort_by_key(|r| r.seq);
            Ok(records)
        }

        pub async fn rules(pool: &Pool) -> Result<Vec<String>, StoreError> {
            let rows = sqlx::query("SELECT DISTINCT rule FROM retention_records ORDER BY rule")
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(|r| r.get::<String, _>("rule")).collect())
        }

        pub async fn insert_hold(pool: &Pool, hold: &Hold) -> Result<bool, StoreError> {
            let scope = serde_json::to_string(&hold.scope)
                .map_err(|e| corrupt(&hold.id, "scope", e))?;
            let done = sqlx::query(
                "INSERT INTO retention_holds (id, scope, owner, reason, created_ms, expires_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&hold.id)
            .bind(scope)
            .bind(&hold.owner)
            .bind(&hold.reason)
            .bind(hold.created_ms)
            .bind(hold.expires_ms)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        pub async fn holds(pool: &Pool) -> Result<Vec<Hold>, StoreError> {
            let rows = sqlx::query(
                "SELECT id, scope, owner, reason, created_ms, expires_ms, released_ms, \
                 released_by, reminded_ms FROM retention_holds ORDER BY created_ms DESC, id",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let id: String = column(row, "?", "id")?;
                    let scope: String = column(row, &id, "scope")?;
                    Ok(Hold {
                        scope: serde_json::from_str::<HoldScope>(&scope)
                            .map_err(|e| corrupt(&id, "scope", e))?,
                        owner: column(row, &id, "owner")?,
                        reason: column(row, &id, "reason")?,
                        created_ms: column(row, &id, "created_ms")?,
                        expires_ms: column(row, &id, "expires_ms")?,
                        released_ms: column(row, &id, "released_ms")?,
                        released_by: column(row, &id, "released_by")?,
                        reminded_ms: column(row, &id, "reminded_ms")?,
                        id,
                    })
                })
                .collect()
        }

        /// Whether an unreleased hold `id` was released now.
        pub async fn release(
            pool: &Pool,
            id: &str,
            by: &str,
            at_ms: i64,
        ) -> Result<bool, StoreError> {
            let done = sqlx::query(
                "UPDATE retention_holds SET released_ms = $2, released_by = $3 \
                 WHERE id = $1 AND released_ms IS NULL",
            )
            .bind(id)
            .bind(at_ms)
            .bind(by)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        pub async fn reminded(pool: &Pool, id: &str, at_ms: i64) -> Result<(), StoreError> {
            sqlx::query("UPDATE retention_holds SET reminded_ms = $2 WHERE id = $1")
                .bind(id)
                .bind(at_ms)
                .execute(pool)
                .await?;
            Ok(())
        }
    }

    sqlite {
        async fn begin_write(conn: &mut Conn) -> Result<sqlx::Transaction<'_, Db>, sqlx::Error> {
            use sqlx::Connection as _;
            conn.begin_with("BEGIN IMMEDIATE").await
        }
    }

    postgres {
        /// Read committed: a racing second append of one rule fails on the primary key and
        /// nothing is written.
        async fn begin_write(conn: &mut Conn) -> Result<sqlx::Transaction<'_, Db>, sqlx::Error> {
            use sqlx::Connection as _;
            conn.begin().await
        }
    }
}
