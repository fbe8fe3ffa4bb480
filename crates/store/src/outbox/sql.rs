//! The statements of the outbox (`mail_outbox`). Every mark is one conditional `UPDATE … WHERE
//! state IN ('queued', 'failed')`, so a final message (sent, kept, dead) is never moved again
//! and two rounds marking the same message cannot both count an attempt on a final one.

/// The columns of `mail_outbox`, in the order `mail_from_row` reads.
const COLUMNS: &str = "id, created_ms, to_addr, subject, body_text, message_id, template, \
     case_id, state, attempts, next_attempt_ms, last_error, sent_ms";

/// The states a delivery round sends; the same words as the partial index in `0007_outbox.sql`.
const PENDING: &str = "state IN ('queued', 'failed')";

crate::backend::per_backend! {
    shared {
        use sqlx::Row as _;

        use crate::backend::column;
        use crate::error::StoreError;
        use crate::outbox::{MailState, NewMail, OutboxMail};
        use super::{COLUMNS, PENDING};

        fn mail_from_row(row: &<Db as sqlx::Database>::Row) -> Result<OutboxMail, StoreError> {
            let id: String = row.try_get("id")?;
            let text = |name: &'static str| column::<_, String>(row, &id, name);
            let int = |name: &'static str| column::<_, i64>(row, &id, name);
            let state = text("state")?;
            Ok(OutboxMail {
                created_ms: int("created_ms")?,
                to_addr: text("to_addr")?,
                subject: text("subject")?,
                body_text: text("body_text")?,
                message_id: text("message_id")?,
                template: text("template")?,
                case_id: column(row, &id, "case_id")?,
                state: state.parse().map_err(|reason| StoreError::CorruptRow {
                    id: id.clone(),
                    column: "state",
                    reason,
                })?,
                attempts: int("attempts")?,
                next_attempt_ms: int("next_attempt_ms")?,
                last_error: column(row, &id, "last_error")?,
                sent_ms: column(row, &id, "sent_ms")?,
                id,
            })
        }

        /// Inserts `mail` queued and due at its creation; false when the id exists.
        pub async fn enqueue(pool: &Pool, mail: &NewMail) -> Result<bool, StoreError> {
            let inserted = sqlx::query(&format!(
                "INSERT INTO mail_outbox ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                 $9, 0, $10, NULL, NULL) ON CONFLICT (id) DO NOTHING"
            ))
            .bind(&mail.id)
            .bind(mail.created_ms)
            .bind(&mail.to_addr)
            .bind(&mail.subject)
            .bind(&mail.body_text)
            .bind(&mail.message_id)
            .bind(&mail.template)
            .bind(&mail.case_id)
            .bind(MailState::Queued.as_str())
            .bind(mail.created_ms)
            .execute(pool)
            .await?;
            Ok(inserted.rows_affected() == 1)
        }

        pub async fn due(pool: &Pool, now_ms: i64, limit: i64) -> Result<Vec<OutboxMail>, StoreError> {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM mail_outbox WHERE {PENDING} AND next_attempt_ms <= $1 \
                 ORDER BY next_attempt_ms, id LIMIT $2"
            ))
            .bind(now_ms)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter().map(mail_from_row).collect()
        }

        pub async fn mark_sent(pool: &Pool, id: &str, now_ms: i64) -> Result<bool, StoreError> {
            let done = sqlx::query(&format!(
                "UPDATE mail_outbox SET state = 'sent', attempts = attempts + 1, sent_ms = $1, \
                 last_error = NULL WHERE id = $2 AND {PENDING}"
            ))
            .bind(now_ms)
            .bind(id)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        /// Counts the failed attempt; the new state, or `None` when `id` was not pending.
        pub async fn mark_failed(
            pool: &Pool,
            id: &str,
            error: &str,
            next_attempt_ms: i64,
            max_attempts: i64,
        ) -> Result<Option<MailState>, StoreError> {
            let row = sqlx::query(&format!(
                "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1, \
                 next_attempt_ms = $2, \
                 state = CASE WHEN attempts + 1 >= $3 THEN 'dead' ELSE 'failed' END \
                 WHERE id = $4 AND {PENDING} RETURNING state"
            ))
            .bind(error)
            .bind(next_attempt_ms)
            .bind(max_attempts)
            .bind(id)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let state: String = column(&row, id, "state")?;
            state
                .parse()
                .map(Some)
                .map_err(|reason| StoreError::CorruptRow { id: id.to_string(), column: "state", reason })
        }

        pub async fn mark_kept(pool: &Pool, id: &str) -> Result<bool, StoreError> {
            let done = sqlx::query(&format!(
                "UPDATE mail_outbox SET state = 'kept' WHERE id = $1 AND {PENDING}"
            ))
            .bind(id)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        pub async fn list(
            pool: &Pool,
            state: Option<MailState>,
            limit: i64,
        ) -> Result<Vec<OutboxMail>, StoreError> {
            let rows = match state {
                Some(state) => sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM mail_outbox WHERE state = $1 \
                     ORDER BY created_ms, id LIMIT $2"
                ))
                .bind(state.as_str())
                .bind(limit)
                .fetch_all(pool)
                .await?,
                None => sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM mail_outbox ORDER BY created_ms, id LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(pool)
                .await?,
            };
            rows.iter().map(mail_from_row).collect()
        }

        pub async fn get(pool: &Pool, id: &str) -> Result<Option<OutboxMail>, StoreError> {
            let row = sqlx::query(&format!("SELECT {COLUMNS} FROM mail_outbox WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(mail_from_row).transpose()
        }
    }
}
