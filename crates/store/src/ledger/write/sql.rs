//! The writer's statements: a batch of sealed records and the chain head in one transaction,
//! the head to resume from, and (PostgreSQL) the per-chain writer lock and the one-statement
//! batch.

/// The advisory-lock key of chain `$1` in the current schema (PostgreSQL).
const CHAIN_LOCK_KEY: &str =
    "hashtextextended('kapsel-chain:' || current_schema() || ':' || $1, 0)";

/// How many rows one multi-row INSERT carries (17 parameters each; well under both limits).
pub const INSERT_CHUNK: usize = 256;

crate::backend::per_backend! {
    shared {
        use kapsel_core::consent::ConsentRecord;
        use sqlx::{Connection as _, Row as _};

        use crate::error::StoreError;
        use crate::ledger::records::{RECORD_COLUMNS, choices_json};
        use super::INSERT_CHUNK;

        /// Appends `VALUES (…), (…)` for `records` to an INSERT over [`RECORD_COLUMNS`].
        fn push_record_values<'a>(
            insert: &mut sqlx::QueryBuilder<'a, Db>,
            records: &'a [ConsentRecord],
        ) {
            insert.push_values(records, |mut row, r| {
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
                    .push_bind(r.hash.as_str());
            });
        }

        /// Inserts `records` (already sealed, in seq order) and moves the chain head, in one
        /// transaction that is committed (and fsync'd) before this returns.
        pub async fn insert_batch(
            conn: &mut Conn,
            chain_id: &str,
            created_at_ms: i64,
            records: &[ConsentRecord],
        ) -> Result<(), StoreError> {
            let Some(last) = records.last() else {
                return Ok(());
            };
            let mut tx = conn.begin().await?;
            for chunk in records.chunks(INSERT_CHUNK) {
                let mut insert = sqlx::QueryBuilder::<Db>::new(format!(
                    "INSERT INTO consent_records ({RECORD_COLUMNS}) "
                ));
                push_record_values(&mut insert, chunk);
                insert.build().execute(&mut *tx).await?;
            }
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

        /// The last record's seq and hash in `chain_id`, if any.
        pub async fn chain_head(
            conn: &mut Conn,
            chain_id: &str,
        ) -> Result<Option<(i64, String)>, StoreError> {
            let row = sqlx::query(
                "SELECT seq, hash FROM consent_records WHERE chain_id = $1 \
                 ORDER BY seq DESC LIMIT 1",
            )
            .bind(chain_id)
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                Some(row) => Ok(Some((row.try_get("seq")?, row.try_get("hash")?))),
                None => Ok(None),
            }
        }
    }

    postgres {
        use super::CHAIN_LOCK_KEY;

        /// Like `insert_batch`, but as ONE statement (a data-modifying CTE) in autocommit: one
        /// round trip to the server instead of four, still one transaction, durable on return.
        pub async fn insert_batch_one_statement(
            conn: &mut Conn,
            chain_id: &str,
            created_at_ms: i64,
            records: &[ConsentRecord],
        ) -> Result<(), StoreError> {
            let Some(last) = records.last() else {
                return Ok(());
            };
            if records.len() > INSERT_CHUNK {
                return insert_batch(conn, chain_id, created_at_ms, records).await;
            }
            let mut statement = sqlx::QueryBuilder::<Db>::new(format!(
                "WITH inserted AS (INSERT INTO consent_records ({RECORD_COLUMNS}) "
            ));
            push_record_values(&mut statement, records);
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
