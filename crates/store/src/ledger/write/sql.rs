//! The writer's statements: a batch of sealed records, the heads of the receipt lineages it
//! extends, the day counters (`ledger::counts`) and the chain head in one transaction; the lineage roots of the receipts a batch
//! replaces; the recorded head and the last record to resume from; a probe write; and
//! (PostgreSQL) the per-chain writer lock and the one-statement batch.

/// The advisory-lock key of chain `$1` in the current schema (PostgreSQL).
const CHAIN_LOCK_KEY: &str =
    "hashtextextended('kapsel-chain:' || current_schema() || ':' || $1, 0)";

/// How many rows one multi-row INSERT carries (19 parameters each; well under both limits).
pub const INSERT_CHUNK: usize = 256;

/// The columns a record is written with beside [`RECORD_COLUMNS`](crate::ledger::records::RECORD_COLUMNS):
/// not covered by its hash (see `migrations/*/0005_receipt_heads.sql`).
const LINK_COLUMNS: &str = "lineage_root, secret_hash";

/// What the writer stores with a record beside its hashed content.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordLinks {
    /// The first record of the lineage this record extends; `None` when it starts one.
    pub lineage_root: Option<String>,
    /// SHA-256 (hex) of the receipt secret.
    pub secret_hash: Option<String>,
}

/// The newest record of a lineage in a batch: `receipt_heads` moves to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageHead<'a> {
    pub root_id: &'a str,
    pub head_id: &'a str,
    pub recorded_at_ms: i64,
    pub chain_id: &'a str,
    pub seq: i64,
}

/// The lineage heads `records` move, one per root (the last record of each lineage in the
/// batch, which is in seq order).
pub fn lineage_heads<'a>(
    records: &'a [kapsel_core::consent::ConsentRecord],
    links: &'a [RecordLinks],
) -> Vec<LineageHead<'a>> {
    let mut heads: Vec<LineageHead<'a>> = Vec::new();
    for (record, link) in records.iter().zip(links) {
        let Some(root_id) = link.lineage_root.as_deref() else {
            continue;
        };
        let head = LineageHead {
            root_id,
            head_id: &record.id,
            recorded_at_ms: record.recorded_at_ms,
            chain_id: &record.chain_id,
            seq: record.seq,
        };
        match heads.iter_mut().find(|known| known.root_id == root_id) {
            Some(known) => *known = head,
            None => heads.push(head),
        }
    }
    heads
}

crate::backend::per_backend! {
    shared {
        use kapsel_core::consent::ConsentRecord;
        use sqlx::{Connection as _, Row as _};

        use crate::error::StoreError;
        use crate::ledger::records::{RECORD_COLUMNS, choices_json, record_from_row};
        use crate::ledger::counts::sql::{
            CHOICES_CONFLICT, CHOICES_INSERT, CHUNK, DAILY_CONFLICT, DAILY_INSERT,
        };
        use crate::ledger::counts::{ChoiceKey, DailyKey, Tally, tally};
        use super::{INSERT_CHUNK, LINK_COLUMNS, LineageHead, RecordLinks, lineage_heads};

        fn push_daily<'a>(q: &mut sqlx::QueryBuilder<'a, Db>, rows: &[(&DailyKey<'a>, &i64)]) {
            q.push(DAILY_INSERT);
            q.push_values(rows, |mut row, (key, records)| {
                row.push_bind(key.site)
                    .push_bind(key.day)
                    .push_bind(key.revision)
                    .push_bind(key.language)
                    .push_bind(key.action)
                    .push_bind(key.gpc)
                    .push_bind(**records);
            });
            q.push(DAILY_CONFLICT);
        }

        fn push_choices<'a>(
            q: &mut sqlx::QueryBuilder<'a, Db>,
            rows: &[(&ChoiceKey<'a>, &(i64, i64))],
        ) {
            q.push(CHOICES_INSERT);
            q.push_values(rows, |mut row, (key, (decided, granted))| {
                row.push_bind(key.site)
                    .push_bind(key.day)
                    .push_bind(key.revision)
                    .push_bind(key.language)
                    .push_bind(key.kind)
                    .push_bind(key.item)
                    .push_bind(*decided)
                    .push_bind(*granted);
            });
            q.push(CHOICES_CONFLICT);
        }

        /// Adds `tally` to the day counters (`ledger::counts`) on `conn`, the batch's transaction.
        async fn add_counts(conn: &mut Conn, tally: &Tally<'_>) -> Result<(), StoreError> {
            let daily: Vec<_> = tally.daily.iter().collect();
            for chunk in daily.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::<Db>::new("");
                push_daily(&mut q, chunk);
                q.build().execute(&mut *conn).await?;
            }
            let choices: Vec<_> = tally.choices.iter().collect();
            for chunk in choices.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::<Db>::new("");
                push_choices(&mut q, chunk);
                q.build().execute(&mut *conn).await?;
            }
            Ok(())
        }


        /// Appends `VALUES (…), (…)` for `records` to an INSERT over [`RECORD_COLUMNS`] and
        /// [`LINK_COLUMNS`].
        fn push_record_values<'a>(
            insert: &mut sqlx::QueryBuilder<'a, Db>,
            records: &'a [ConsentRecord],
            links: &'a [RecordLinks],
        ) {
            insert.push_values(records.iter().zip(links), |mut row, (r, link)| {
                row.push_bind(r.id.as_str())
                    .push_bind(r.chain_id.as_str())
                    .push_bind(r.seq)
                    .push_bind(r.recorded_at_ms)
                    .push_bind(r.expires_at_ms)
                    .push_bind(r.choice.site.as_str())
                    .push_bind(r.choice.revision.as_str())
                    .push_bind(r.choice.language.as_str())
                    .push_bind(r.choice.action.as_str())
                    .push_bind(choices_json(&r.choice.categories))
                    .push_bind(choices_json(&r.choice.services))
                    .push_bind(r.choice.previous_receipt.as_deref())
                    .push_bind(r.choice.gpc)
                    .push_bind(r.context.ip_prefix.as_deref())
                    .push_bind(r.context.ua_family.as_str())
                    .push_bind(r.prev_hash.as_str())
                    .push_bind(r.hash.as_str())
                    .push_bind(link.lineage_root.as_deref())
                    .push_bind(link.secret_hash.as_deref());
            });
        }

        /// Moves each lineage's head in `receipt_heads`, unless the head it has is newer (by
        /// recorded_at_ms, chain_id, seq: another chain may have committed a later one first).
        async fn move_heads(conn: &mut Conn, heads: &[LineageHead<'_>]) -> Result<(), StoreError> {
            if heads.is_empty() {
                return Ok(());
            }
            for chunk in heads.chunks(INSERT_CHUNK) {
                let mut upsert = sqlx::QueryBuilder::<Db>::new(
                    "INSERT INTO receipt_heads (root_id, head_id, head_recorded_at_ms, \
                     head_chain_id, head_seq) ",
                );
                upsert.push_values(chunk, |mut row, head| {
                    row.push_bind(head.root_id)
                        .push_bind(head.head_id)
                        .push_bind(head.recorded_at_ms)
                        .push_bind(head.chain_id)
                        .push_bind(head.seq);
                });
                upsert.push(
                    " ON CONFLICT (root_id) DO UPDATE SET head_id = excluded.head_id, \
                     head_recorded_at_ms = excluded.head_recorded_at_ms, \
                     head_chain_id = excluded.head_chain_id, head_seq = excluded.head_seq \
                     WHERE (excluded.head_recorded_at_ms, excluded.head_chain_id, excluded.head_seq) \
                     > (receipt_heads.head_recorded_at_ms, receipt_heads.head_chain_id, \
                     receipt_heads.head_seq)",
                );
                upsert.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// The lineage root of each record in `ids` that the ledger holds: `(id, root)`, where
        /// a record that starts a lineage is its own root.
        pub async fn lineage_roots(
            conn: &mut Conn,
            ids: &[&str],
        ) -> Result<Vec<(String, String)>, StoreError> {
            let mut roots = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(INSERT_CHUNK) {
                let mut query = sqlx::QueryBuilder::<Db>::new(
                    "SELECT id, COALESCE(lineage_root, id) AS root FROM consent_records WHERE id IN (",
                );
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                query.push(")");
                for row in query.build().fetch_all(&mut *conn).await? {
                    roots.push((row.try_get("id")?, row.try_get("root")?));
                }
            }
            Ok(roots)
        }

        /// Inserts `records` (already sealed, in seq order) and moves the chain head, in one
        /// transaction that is committed (and fsync'd) before this returns.
        pub async fn insert_batch(
            conn: &mut Conn,
            chain_id: &str,
            created_at_ms: i64,
            records: &[ConsentRecord],
            links: &[RecordLinks],
        ) -> Result<(), StoreError> {
            let Some(last) = records.last() else {
                return Ok(());
            };
            let mut tx = conn.begin().await?;
            for (chunk, chunk_links) in records.chunks(INSERT_CHUNK).zip(links.chunks(INSERT_CHUNK)) {
                let mut insert = sqlx::QueryBuilder::<Db>::new(format!(
                    "INSERT INTO consent_records ({RECORD_COLUMNS}, {LINK_COLUMNS}) "
                ));
                push_record_values(&mut insert, chunk, chunk_links);
                insert.build().execute(&mut *tx).await?;
            }
            move_heads(&mut tx, &lineage_heads(records, links)).await?;
            add_counts(&mut tx, &tally(records)).await?;
            sqlx::query(
                "INSERT INTO ledger_chains (chain_id, created_at_ms, head_seq, head_hash) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (chain_id) DO UPDATE \
                 SET head_seq = excluded.head_seq, head_hash = excluded.head_hash",
            )
            .bind(chain_id)
            .bind(created_at_ms)
            .bind(last.seq)
            .bind(last.hash.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        }

        /// The last record of `chain_id` (highest seq), if any.
        pub async fn last_record(
            conn: &mut Conn,
            chain_id: &str,
        ) -> Result<Option<ConsentRecord>, StoreError> {
            let row = sqlx::query(&format!(
                "SELECT {RECORD_COLUMNS} FROM consent_records WHERE chain_id = $1 \
                 ORDER BY seq DESC LIMIT 1"
            ))
            .bind(chain_id)
            .fetch_optional(&mut *conn)
            .await?;
            row.as_ref().map(record_from_row).transpose()
        }

        /// The head the chain's writer recorded in `ledger_chains`, if it has a row.
        pub async fn recorded_head(
            conn: &mut Conn,
            chain_id: &str,
        ) -> Result<Option<(i64, String)>, StoreError> {
            let row = sqlx::query("SELECT head_seq, head_hash FROM ledger_chains WHERE chain_id = $1")
                .bind(chain_id)
                .fetch_optional(&mut *conn)
                .await?;
            match row {
                Some(row) => Ok(Some((row.try_get("head_seq")?, row.try_get("head_hash")?))),
                None => Ok(None),
            }
        }

        /// A small durable write (the time of the probe, in `kapsel_meta`): whether the storage
        /// takes writes again after a failure, when no append comes to find out.
        pub async fn probe(conn: &mut Conn, chain_id: &str, now_ms: i64) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO kapsel_meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(format!("writer_probe:{chain_id}"))
            .bind(now_ms.to_string())
            .execute(&mut *conn)
            .await?;
            Ok(())
        }
    }

    postgres {
        use super::CHAIN_LOCK_KEY;

        /// Like `insert_batch`, but as ONE statement (data-modifying CTEs: the records, the day
        /// counters, the chain head) in autocommit: one round trip to the server instead of
        /// six, still one transaction, durable on return.
        /// A batch that extends a receipt lineage (rare: a change of mind) takes `insert_batch`.
        pub async fn insert_batch_one_statement(
            conn: &mut Conn,
            chain_id: &str,
            created_at_ms: i64,
            records: &[ConsentRecord],
            links: &[RecordLinks],
        ) -> Result<(), StoreError> {
            let Some(last) = records.last() else {
                return Ok(());
            };
            let counts = tally(records);
            if records.len() > INSERT_CHUNK
                || counts.daily.len() > CHUNK
                || counts.choices.len() > CHUNK
                || links.iter().any(|l| l.lineage_root.is_some())
            {
                return insert_batch(conn, chain_id, created_at_ms, records, links).await;
            }
            let daily: Vec<_> = counts.daily.iter().collect();
            let choices: Vec<_> = counts.choices.iter().collect();
            let mut statement = sqlx::QueryBuilder::<Db>::new(format!(
                "WITH inserted AS (INSERT INTO consent_records ({RECORD_COLUMNS}, {LINK_COLUMNS}) "
            ));
            push_record_values(&mut statement, records, links);
            statement.push("), daily AS (");
            push_daily(&mut statement, &daily);
            if !choices.is_empty() {
                statement.push("), choices AS (");
                push_choices(&mut statement, &choices);
            }
            statement
                .push(
                    ") INSERT INTO ledger_chains (chain_id, created_at_ms, head_seq, head_hash) \
                     VALUES (",
                )
                .push_bind(chain_id)
                .push(", ")
                .push_bind(created_at_ms)
                .push(", ")
                .push_bind(last.seq)
                .push(", ")
                .push_bind(last.hash.as_str())
                .push(
                    ") ON CONFLICT (chain_id) DO UPDATE \
                     SET head_seq = excluded.head_seq, head_hash = excluded.head_hash",
                );
            statement.build().execute(&mut *conn).await?;
            Ok(())
        }

        /// Takes the session-level advisory lock that makes this connection the only writer of
        /// `chain_id` in the current schema. False when another instance holds it.
        pub async fn try_lock_chain(conn: &mut Conn, chain_id: &str) -> Result<bool, StoreError> {
            let row = sqlx::query(&format!(
                "SELECT pg_try_advisory_lock({CHAIN_LOCK_KEY}) AS locked"
            ))
            .bind(chain_id)
            .fetch_one(&mut *conn)
            .await?;
            Ok(row.try_get("locked")?)
        }

        /// Releases the lock of `try_lock_chain`. Closing the connection releases it too, but
        /// only once the server has ended the session, after `close` has returned; unlocking
        /// first means the chain is free as soon as its writer has stopped.
        pub async fn unlock_chain(conn: &mut Conn, chain_id: &str) -> Result<bool, StoreError> {
            let row = sqlx::query(&format!(
                "SELECT pg_advisory_unlock({CHAIN_LOCK_KEY}) AS unlocked"
            ))
            .bind(chain_id)
            .fetch_one(&mut *conn)
            .await?;
            Ok(row.try_get("unlocked")?)
        }
    }
}
