//! The statements of the gate (`gate_events`, `gate_deliveries`). Appends are multi-row inserts
//! in chunks of [`CHUNK`] rows (each chunk size one prepared statement), inside the writer's
//! transaction; `ON CONFLICT DO NOTHING RETURNING` tells which events were new, so a repeated
//! `messageId` queues nothing twice.

/// Rows per multi-row INSERT (9 parameters each: well under SQLite's and PostgreSQL's limits).
pub(super) const CHUNK: usize = 64;

/// Message ids per settling `UPDATE`.
pub(super) const SETTLE_CHUNK: usize = 500;

/// The states a delivery round works on; the same words as the partial index in `0013_gate.sql`.
const PENDING: &str = "state IN ('pending', 'failed')";

/// `INSERT INTO table (columns) VALUES ($1, …), (…)` for `rows` rows of `width` parameters.
fn values(rows: usize, width: usize) -> String {
    let mut text = String::with_capacity(rows * width * 5);
    for row in 0..rows {
        if row > 0 {
            text.push_str(", ");
        }
        text.push('(');
        for col in 0..width {
            if col > 0 {
                text.push_str(", ");
            }
            text.push('$');
            text.push_str(&(row * width + col + 1).to_string());
        }
        text.push(')');
    }
    text
}

/// The values one settling `UPDATE` writes, shared by a run of deliveries of one site.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Written<'a> {
    site: &'a str,
    state: &'static str,
    reason: Option<&'a str>,
    tried: i64,
    next_ms: i64,
    decided: Option<i64>,
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

fn parse_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

crate::backend::per_backend! {
    shared {
        use sqlx::Row as _;

        use crate::backend::column;
        use crate::error::StoreError;
        use crate::gate::{Delivery, DueEvent, NewEvent, Settle, TraceQuery};
        use super::{CHUNK, PENDING, SETTLE_CHUNK, Written, json_list, parse_list, values};

        /// Inserts `events` and their pending deliveries on `conn` (inside the caller's
        /// transaction); for each event, whether it was new.
        pub async fn append(conn: &mut Conn, events: &[NewEvent]) -> Result<Vec<bool>, StoreError> {
            let mut new = std::collections::HashSet::new();
            for chunk in events.chunks(CHUNK) {
                let sql = format!(
                    "INSERT INTO gate_events (site, message_id, kind, received_ms, receipt, \
                     consent, subjects, body) VALUES {} \
                     ON CONFLICT (site, message_id) DO NOTHING RETURNING site, message_id",
                    values(chunk.len(), 8)
                );
                let mut query = sqlx::query(&sql);
                for e in chunk {
                    query = query
                        .bind(&e.site)
                        .bind(&e.message_id)
                        .bind(&e.kind)
                        .bind(e.received_ms)
                        .bind(&e.receipt)
                        .bind(e.consent.as_deref().map(json_list))
                        .bind(json_list(&e.subjects))
                        .bind(&e.body);
                }
                for row in query.fetch_all(&mut *conn).await? {
                    let site: String = row.try_get("site")?;
                    let id: String = row.try_get("message_id")?;
                    new.insert((site, id));
                }
            }
            let fresh: Vec<bool> = events
                .iter()
                .map(|e| new.remove(&(e.site.clone(), e.message_id.clone())))
                .collect();
            let rows: Vec<(&NewEvent, &String)> = events
                .iter()
                .zip(&fresh)
                .filter(|(_, fresh)| **fresh)
                .flat_map(|(e, _)| e.destinations.iter().map(move |d| (e, d)))
                .collect();
            for chunk in rows.chunks(CHUNK) {
                let sql = format!(
                    "INSERT INTO gate_deliveries (site, message_id, destination, state, \
                     received_ms, next_ms, receipt) VALUES {}",
                    values(chunk.len(), 7)
                );
                let mut query = sqlx::query(&sql);
                for (e, destination) in chunk {
                    query = query
                        .bind(&e.site)
                        .bind(&e.message_id)
                        .bind(*destination)
                        .bind("pending")
                        .bind(e.received_ms)
                        .bind(e.received_ms)
                        .bind(&e.receipt);
                }
                query.execute(&mut *conn).await?;
            }
            Ok(fresh)
        }

        pub async fn due(
            pool: &Pool,
            destination: &str,
            now_ms: i64,
            limit: i64,
        ) -> Result<Vec<DueEvent>, StoreError> {
            let rows = sqlx::query(&format!(
                "SELECT d.site, d.message_id, d.attempts, e.kind, e.received_ms, e.receipt, \
                 e.consent, e.subjects, e.body FROM gate_deliveries d \
                 JOIN gate_events e ON e.site = d.site AND e.message_id = d.message_id \
                 WHERE d.destination = $1 AND d.{PENDING} AND d.next_ms <= $2 \
                 ORDER BY d.next_ms LIMIT $3"
            ))
            .bind(destination)
            .bind(now_ms)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let message_id: String = row.try_get("message_id")?;
                    let consent: Option<String> = column(row, &message_id, "consent")?;
                    let subjects: String = column(row, &message_id, "subjects")?;
                    let body: Option<String> = column(row, &message_id, "body")?;
                    Ok(DueEvent {
                        site: column(row, &message_id, "site")?,
                        kind: column(row, &message_id, "kind")?,
                        received_ms: column(row, &message_id, "received_ms")?,
                        receipt: column(row, &message_id, "receipt")?,
                        consent: consent.as_deref().map(parse_list),
                        subjects: parse_list(&subjects),
                        body: body.unwrap_or_default(),
                        attempts: column(row, &message_id, "attempts")?,
                        message_id,
                    })
                })
                .collect()
        }

        /// One `UPDATE … WHERE message_id IN (…)` per run of outcomes that write the same
        /// values (most of a round is forwarded, or blocked for one reason), in one transaction.
        pub async fn settle(
            pool: &Pool,
            destination: &str,
            outcomes: &[(String, String, Settle)],
            now_ms: i64,
        ) -> Result<u64, StoreError> {
            let mut groups: std::collections::BTreeMap<Written<'_>, Vec<&str>> =
                std::collections::BTreeMap::new();
            for (site, message_id, outcome) in outcomes {
                let (reason, tried, next_ms) = match outcome {
                    Settle::Forwarded => (None, 1, now_ms),
                    Settle::Blocked { reason } => (Some(reason.as_str()), 0, now_ms),
                    Settle::Failed { error, next_ms } => (Some(error.as_str()), 1, *next_ms),
                    Settle::Dead { error } => (Some(error.as_str()), 1, now_ms),
                };
                let decided = match outcome {
                    Settle::Failed { .. } => None,
                    _ => Some(now_ms),
                };
                let written = Written {
                    site: site.as_str(),
                    state: outcome.state().as_str(),
                    reason,
                    tried,
                    next_ms,
                    decided,
                };
                groups.entry(written).or_default().push(message_id.as_str());
            }
            let mut tx = pool.begin().await?;
            let mut moved = 0;
            for (written, ids) in &groups {
                let Written { site, state, reason, tried, next_ms, decided } = written;
                for chunk in ids.chunks(SETTLE_CHUNK) {
                    let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 8)).collect();
                    let sql = format!(
                        "UPDATE gate_deliveries SET state = $1, reason = $2, \
                         attempts = attempts + $3, next_ms = $4, decided_ms = $5 \
                         WHERE destination = $6 AND site = $7 AND {PENDING} \
                         AND message_id IN ({})",
                        list.join(", ")
                    );
                    let mut query = sqlx::query(&sql)
                        .bind(*state)
                        .bind(*reason)
                        .bind(*tried)
                        .bind(*next_ms)
                        .bind(*decided)
                        .bind(destination)
                        .bind(*site);
                    for id in chunk {
                        query = query.bind(*id);
                    }
                    moved += query.execute(&mut *tx).await?.rows_affected();
                }
            }
            tx.commit().await?;
            Ok(moved)
        }

        pub async fn record(
            pool: &Pool,
            destination: &str,
            records: &[(NewEvent, Settle)],
            now_ms: i64,
        ) -> Result<(), StoreError> {
            let mut tx = pool.begin().await?;
            for (e, outcome) in records {
                let body = matches!(outcome, Settle::Dead { .. }).then_some(e.body.as_str());
                sqlx::query(
                    "INSERT INTO gate_events (site, message_id, kind, received_ms, receipt, \
                     consent, subjects, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (site, message_id) DO UPDATE SET \
                     body = COALESCE(gate_events.body, excluded.body)",
                )
                .bind(&e.site)
                .bind(&e.message_id)
                .bind(&e.kind)
                .bind(e.received_ms)
                .bind(&e.receipt)
                .bind(e.consent.as_deref().map(json_list))
                .bind(json_list(&e.subjects))
                .bind(body)
                .execute(&mut *tx)
                .await?;
                let (reason, next_ms, decided) = match outcome {
                    Settle::Forwarded => (None, now_ms, Some(now_ms)),
                    Settle::Blocked { reason } => (Some(reason.as_str()), now_ms, Some(now_ms)),
                    // JetStream owns this retry: the store's worker never finds it due.
                    Settle::Failed { error, .. } => (Some(error.as_str()), i64::MAX, None),
                    Settle::Dead { error } => (Some(error.as_str()), now_ms, Some(now_ms)),
                };
                let tried = i64::from(!matches!(outcome, Settle::Blocked { .. }));
                sqlx::query(
                    "INSERT INTO gate_deliveries (site, message_id, destination, state, reason, \
                     attempts, received_ms, next_ms, decided_ms, receipt) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (site, message_id, destination) DO UPDATE SET \
                     state = excluded.state, reason = excluded.reason, \
                     attempts = gate_deliveries.attempts + excluded.attempts, \
                     next_ms = excluded.next_ms, decided_ms = excluded.decided_ms",
                )
                .bind(&e.site)
                .bind(&e.message_id)
                .bind(destination)
                .bind(outcome.state().as_str())
                .bind(reason)
                .bind(tried)
                .bind(e.received_ms)
                .bind(next_ms)
                .bind(decided)
                .bind(&e.receipt)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        }

        fn delivery_from_row(row: &<Db as sqlx::Database>::Row) -> Result<Delivery, StoreError> {
            let message_id: String = row.try_get("message_id")?;
            let state: String = column(row, &message_id, "state")?;
            Ok(Delivery {
                site: column(row, &message_id, "site")?,
                destination: column(row, &message_id, "destination")?,
                state: state.parse().map_err(|reason| StoreError::CorruptRow {
                    id: message_id.clone(),
                    column: "state",
                    reason,
                })?,
                reason: column(row, &message_id, "reason")?,
                attempts: column(row, &message_id, "attempts")?,
                received_ms: column(row, &message_id, "received_ms")?,
                decided_ms: column(row, &message_id, "decided_ms")?,
                receipt: column(row, &message_id, "receipt")?,
                kind: column(row, &message_id, "kind")?,
                message_id,
            })
        }

        pub async fn trace(
            pool: &Pool,
            query: &TraceQuery,
            limit: i64,
        ) -> Result<Vec<Delivery>, StoreError> {
            const SELECT: &str = "SELECT d.site, d.message_id, d.destination, d.state, d.reason, \
                d.attempts, d.received_ms, d.decided_ms, d.receipt, e.kind FROM gate_deliveries d \
                JOIN gate_events e ON e.site = d.site AND e.message_id = d.message_id";
            const ORDER: &str = "ORDER BY d.received_ms, d.message_id, d.destination";
            let rows = match query {
                TraceQuery::Receipt(receipt) => {
                    sqlx::query(&format!("{SELECT} WHERE d.receipt = $1 {ORDER} LIMIT $2"))
                        .bind(receipt)
                        .bind(limit)
                        .fetch_all(pool)
                        .await?
                }
                TraceQuery::Between { from_ms, to_ms } => {
                    sqlx::query(&format!(
                        "{SELECT} WHERE d.received_ms >= $1 AND d.received_ms < $2 {ORDER} LIMIT $3"
                    ))
                    .bind(from_ms)
                    .bind(to_ms)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?
                }
                TraceQuery::Dead => {
                    sqlx::query(&format!("{SELECT} WHERE d.state = 'dead' {ORDER} LIMIT $1"))
                        .bind(limit)
                        .fetch_all(pool)
                        .await?
                }
            };
            rows.iter().map(delivery_from_row).collect()
        }

        pub async fn replay(
            pool: &Pool,
            site: &str,
            message_id: &str,
            destination: &str,
            now_ms: i64,
        ) -> Result<bool, StoreError> {
            let done = sqlx::query(
                "UPDATE gate_deliveries SET state = 'pending', attempts = 0, next_ms = $1, \
                 decided_ms = NULL, reason = 'replayed' \
                 WHERE site = $2 AND message_id = $3 AND destination = $4 AND state = 'dead' \
                 AND EXISTS (SELECT 1 FROM gate_events e WHERE e.site = $2 \
                 AND e.message_id = $3 AND e.body IS NOT NULL)",
            )
            .bind(now_ms)
            .bind(site)
            .bind(message_id)
            .bind(destination)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }

        pub async fn counts(
            pool: &Pool,
        ) -> Result<Vec<(String, crate::gate::DeliveryState, i64)>, StoreError> {
            let rows = sqlx::query(
                "SELECT destination, state, COUNT(*) AS n FROM gate_deliveries \
                 GROUP BY destination, state ORDER BY destination, state",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let destination: String = row.try_get("destination")?;
                    let state: String = column(row, &destination, "state")?;
                    let n: i64 = column(row, &destination, "n")?;
                    let state = state.parse().map_err(|reason| StoreError::CorruptRow {
                        id: destination.clone(),
                        column: "state",
                        reason,
                    })?;
                    Ok((destination, state, n))
                })
                .collect()
        }
    }
}
