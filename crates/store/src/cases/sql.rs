//! The statements of the request desk (`desk_cases`, `desk_case_events`). Appending takes the
//! case's write lock first — `BEGIN IMMEDIATE` on SQLite (the database's one writer lock, taken
//! before the head is read, so no other writer can commit in between), `SELECT … FOR UPDATE` on
//! PostgreSQL (the case row) — and then moves the head only if it is still the one read
//! (`WHERE head_seq = … AND head_hash = …`). Two appenders to one case therefore run one
//! after the other, and the second seals after the first: the history never forks.

/// A stored event as read, before its kind and detail are interpreted.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub case_id: String,
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub kind: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What `verify_case` compares the history with.
#[derive(Debug, Clone)]
pub struct HeadRow {
    pub head_seq: i64,
    pub head_hash: String,
    pub state: String,
}

/// The columns of `desk_cases`, in the order [`case_from_row`](sqlite::case_from_row) reads.
const CASE_COLUMNS: &str = "id, site, requested_right, state, email, identifiers, received_ms, \
     period_months, legal_due, target, ends_at_ms, lapses_at_ms, head_seq, head_hash, updated_ms, \
     lang";

const EVENT_COLUMNS: &str = "case_id, seq, at_ms, actor, kind, detail, prev_hash, hash";

/// The states an open case is not in; the same words as the partial index in `0006_cases.sql`.
const OPEN: &str = "state NOT IN ('completed', 'refused', 'withdrawn', 'lapsed')";

crate::backend::per_backend! {
    shared {
        use std::collections::BTreeMap;

        use kapsel_core::deadline::TargetRule;
        use kapsel_core::desk::{self, Case, CaseDates, CaseEvent, NewCase, NewCaseEvent};
        use sqlx::{Connection as _, Row as _};

        use crate::backend::column;
        use crate::cases::CaseError;
        use crate::error::StoreError;
        use super::{CASE_COLUMNS, EVENT_COLUMNS, EventRow, HeadRow, OPEN};

        fn corrupt(id: &str, column: &'static str, reason: impl ToString) -> StoreError {
            StoreError::CorruptRow {
                id: id.to_string(),
                column,
                reason: reason.to_string(),
            }
        }

        fn case_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Case, StoreError> {
            let id: String = row.try_get("id")?;
            let text = |name: &'static str| column::<_, String>(row, &id, name);
            let int = |name: &'static str| column::<_, i64>(row, &id, name);
            let date = |name: &'static str| {
                let value = text(name)?;
                desk::parse_iso_date(&value).ok_or_else(|| corrupt(&id, name, value))
            };
            let identifiers: BTreeMap<String, String> =
                serde_json::from_str(&text("identifiers")?)
                    .map_err(|err| corrupt(&id, "identifiers", err))?;
            let months: i32 = column(row, &id, "period_months")?;
            Ok(Case {
                site: text("site")?,
                right: text("requested_right")?
                    .parse()
                    .map_err(|err| corrupt(&id, "requested_right", err))?,
                state: text("state")?
                    .parse()
                    .map_err(|err| corrupt(&id, "state", err))?,
                email: text("email")?,
                identifiers,
                received_ms: int("received_ms")?,
                dates: CaseDates {
                    months: u32::try_from(months)
                        .map_err(|err| corrupt(&id, "period_months", err))?,
                    legal_due: date("legal_due")?,
                    target: date("target")?,
                    ends_at_ms: int("ends_at_ms")?,
                    lapses_at_ms: int("lapses_at_ms")?,
                },
                head_seq: int("head_seq")?,
                head_hash: text("head_hash")?,
                updated_ms: int("updated_ms")?,
                lang: text("lang")?,
                id,
            })
        }

        fn months(case: &Case) -> i32 {
            i32::try_from(case.dates.months).unwrap_or(i32::MAX)
        }

        async fn insert_event(conn: &mut Conn, event: &CaseEvent) -> Result<(), StoreError> {
            let detail = serde_json::to_string(&event.kind.detail())
                .map_err(|err| corrupt(&event.case_id, "detail", err))?;
            sqlx::query(&format!(
                "INSERT INTO desk_case_events ({EVENT_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ))
            .bind(&event.case_id)
            .bind(event.seq)
            .bind(event.at_ms)
            .bind(&event.actor)
            .bind(event.kind.name())
            .bind(detail)
            .bind(&event.prev_hash)
            .bind(&event.hash)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        /// Inserts the case and its `received` event in one transaction.
        pub async fn open_case(
            pool: &Pool,
            new: NewCase,
            rule: TargetRule,
        ) -> Result<(Case, CaseEvent), CaseError> {
            let (case, event) = desk::open(new, rule)?;
            let identifiers = serde_json::to_string(&case.identifiers)
                .map_err(|err| corrupt(&case.id, "identifiers", err))?;
            let mut conn = pool.acquire().await.map_err(StoreError::from)?;
            let mut tx = begin_write(&mut conn).await.map_err(StoreError::from)?;
            let inserted = sqlx::query(&format!(
                "INSERT INTO desk_cases ({CASE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                 $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT (id) DO NOTHING"
            ))
            .bind(&case.id)
            .bind(&case.site)
            .bind(case.right.as_str())
            .bind(case.state.as_str())
            .bind(&case.email)
            .bind(identifiers)
            .bind(case.received_ms)
            .bind(months(&case))
            .bind(desk::iso_date(case.dates.legal_due))
            .bind(desk::iso_date(case.dates.target))
            .bind(case.dates.ends_at_ms)
            .bind(case.dates.lapses_at_ms)
            .bind(case.head_seq)
            .bind(&case.head_hash)
            .bind(case.updated_ms)
            .bind(&case.lang)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
            if inserted.rows_affected() != 1 {
                return Err(CaseError::Exists(case.id));
            }
            insert_event(&mut tx, &event).await?;
            tx.commit().await.map_err(StoreError::from)?;
            Ok((case, event))
        }

        /// Seals `event` after the case's head and moves the head, in one transaction that
        /// holds the case's write lock from the read of the head to the commit.
        pub async fn append_event(
            pool: &Pool,
            case_id: &str,
            event: NewCaseEvent,
            rule: TargetRule,
        ) -> Result<(Case, CaseEvent), CaseError> {
            let mut conn = pool.acquire().await.map_err(StoreError::from)?;
            let mut tx = begin_write(&mut conn).await.map_err(StoreError::from)?;
            let row = sqlx::query(&format!(
                "SELECT {CASE_COLUMNS} FROM desk_cases WHERE id = $1{LOCK_ROW}"
            ))
            .bind(case_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from)?;
            let Some(row) = row else {
                return Err(CaseError::UnknownCase(case_id.to_string()));
            };
            let case = case_from_row(&row)?;
            let (next, sealed) =
                desk::advance(&case, event, rule).map_err(|refused| CaseError::Refused {
                    case_id: case_id.to_string(),
                    refused,
                })?;
            let moved = sqlx::query(
                "UPDATE desk_cases SET state = $1, period_months = $2, legal_due = $3, \
                 target = $4, ends_at_ms = $5, head_seq = $6, head_hash = $7, updated_ms = $8 \
                 WHERE id = $9 AND head_seq = $10 AND head_hash = $11",
            )
            .bind(next.state.as_str())
            .bind(months(&next))
            .bind(desk::iso_date(next.dates.legal_due))
            .bind(desk::iso_date(next.dates.target))
            .bind(next.dates.ends_at_ms)
            .bind(next.head_seq)
            .bind(&next.head_hash)
            .bind(next.updated_ms)
            .bind(case_id)
            .bind(case.head_seq)
            .bind(&case.head_hash)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
            if moved.rows_affected() != 1 {
                // Cannot happen under the lock; if it does, nothing is written.
                return Err(CaseError::HeadMoved(case_id.to_string()));
            }
            insert_event(&mut tx, &sealed).await?;
            tx.commit().await.map_err(StoreError::from)?;
            Ok((next, sealed))
        }

        pub async fn case(pool: &Pool, case_id: &str) -> Result<Option<Case>, StoreError> {
            let row = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM desk_cases WHERE id = $1"))
                .bind(case_id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(case_from_row).transpose()
        }

        pub async fn head(pool: &Pool, case_id: &str) -> Result<Option<HeadRow>, StoreError> {
            let row = sqlx::query("SELECT head_seq, head_hash, state FROM desk_cases WHERE id = $1")
                .bind(case_id)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Ok(Some(HeadRow {
                    head_seq: column(&row, case_id, "head_seq")?,
                    head_hash: column(&row, case_id, "head_hash")?,
                    state: column(&row, case_id, "state")?,
                })),
                None => Ok(None),
            }
        }

        /// The stored events of `case_id`, in seq order.
        pub async fn event_rows(pool: &Pool, case_id: &str) -> Result<Vec<EventRow>, StoreError> {
            let rows = sqlx::query(&format!(
                "SELECT {EVENT_COLUMNS} FROM desk_case_events WHERE case_id = $1 ORDER BY seq"
            ))
            .bind(case_id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(EventRow {
                        case_id: column(row, case_id, "case_id")?,
                        seq: column(row, case_id, "seq")?,
                        at_ms: column(row, case_id, "at_ms")?,
                        actor: column(row, case_id, "actor")?,
                        kind: column(row, case_id, "kind")?,
                        detail: column(row, case_id, "detail")?,
                        prev_hash: column(row, case_id, "prev_hash")?,
                        hash: column(row, case_id, "hash")?,
                    })
                })
                .collect()
        }

        /// Open cases, the soonest legal end first.
        pub async fn open_cases_by_deadline(pool: &Pool, limit: i64) -> Result<Vec<Case>, StoreError> {
            let rows = sqlx::query(&format!(
                "SELECT {CASE_COLUMNS} FROM desk_cases WHERE {OPEN} ORDER BY ends_at_ms, id LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter().map(case_from_row).collect()
        }

        /// Up to `limit` cases still `received` (never verified) whose lapse time has come.
        pub async fn lapsed_unverified(pool: &Pool, now_ms: i64, limit: i64) -> Result<Vec<String>, StoreError> {
            let ids = sqlx::query_scalar(
                "SELECT id FROM desk_cases WHERE state = 'received' AND lapses_at_ms <= $1 \
                 ORDER BY lapses_at_ms, id LIMIT $2",
            )
            .bind(now_ms)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            Ok(ids)
        }

        /// How many cases for `email` were received at or after `since_ms` and are still
        /// `received` (never verified).
        pub async fn unverified_since(pool: &Pool, email: &str, since_ms: i64) -> Result<i64, StoreError> {
            let count: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM desk_cases WHERE email = $1 AND received_ms >= $2 AND state = 'received'",
            )
            .bind(email)
            .bind(since_ms)
            .fetch_one(pool)
            .await?;
            Ok(count)
        }
    }

    sqlite {
        /// No row lock in SQLite: the transaction itself takes the write lock.
        const LOCK_ROW: &str = "";

        /// `BEGIN IMMEDIATE`: the write lock before the first read, so the head read is the
        /// head written after.
        async fn begin_write(conn: &mut Conn) -> Result<sqlx::Transaction<'_, Db>, sqlx::Error> {
            conn.begin_with("BEGIN IMMEDIATE").await
        }
    }

    postgres {
        /// The case row stays locked until the transaction ends; other appenders to the case wait.
        const LOCK_ROW: &str = " FOR UPDATE";

        async fn begin_write(conn: &mut Conn) -> Result<sqlx::Transaction<'_, Db>, sqlx::Error> {
            conn.begin().await
        }
    }
}
