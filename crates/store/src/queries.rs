//! Every SQL statement of the store, written once with `$n` placeholders (which both SQLite and
//! PostgreSQL accept) and expanded per backend by `backend_queries!` into `sqlite` and `postgres`
//! modules with concrete types. Dialect differences live in the migrations, not here.

/// Columns of `consent_records` in insert and select order.
pub const RECORD_COLUMNS: &str = "id, chain_id, seq, recorded_at_ms, expires_at_ms, site, revision, \
     language, action, categories, services, previous_receipt, gpc, ip_prefix, ua_family, \
     prev_hash, hash";

/// How many rows one multi-row INSERT carries (17 parameters each; well under both limits).
pub const INSERT_CHUNK: usize = 256;

macro_rules! backend_queries {
    ($db:ty) => {
        use std::collections::BTreeMap;

        use kapsel_core::Lang;
        use kapsel_core::consent::{
            ConsentAction, ConsentChoice, ConsentRecord, RecordContext,
        };
        use sqlx::{Connection as _, Row as _};

        use crate::error::StoreError;
        use crate::export::ExportFilter;
        use crate::queries::{INSERT_CHUNK, RECORD_COLUMNS};
        use crate::revisions::PublishedRevision;

        type Db = $db;
        pub type Pool = sqlx::Pool<Db>;
        pub type Conn = <Db as sqlx::Database>::Connection;
        type DbRow = <Db as sqlx::Database>::Row;

        fn column<'r, T>(row: &'r DbRow, id: &str, name: &'static str) -> Result<T, StoreError>
        where
            T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
        {
            row.try_get::<T, _>(name).map_err(|err| StoreError::CorruptRow {
                id: id.to_string(),
                column: name,
                reason: err.to_string(),
            })
        }

        fn choices(row: &DbRow, id: &str, name: &'static str) -> Result<BTreeMap<String, bool>, StoreError> {
            let text: String = column(row, id, name)?;
            serde_json::from_str(&text).map_err(|err| StoreError::CorruptRow {
                id: id.to_string(),
                column: name,
                reason: err.to_string(),
            })
        }

        pub fn record_from_row(row: &DbRow) -> Result<ConsentRecord, StoreError> {
            let id: String = column(row, "?", "id")?;
            let action: String = column(row, &id, "action")?;
            let action = ConsentAction::parse(&action).ok_or_else(|| StoreError::CorruptRow {
                id: id.clone(),
                column: "action",
                reason: format!("unknown action {action:?}"),
            })?;
            let language: String = column(row, &id, "language")?;
            Ok(ConsentRecord {
                chain_id: column(row, &id, "chain_id")?,
                seq: column(row, &id, "seq")?,
                recorded_at_ms: column(row, &id, "recorded_at_ms")?,
                expires_at_ms: column(row, &id, "expires_at_ms")?,
                choice: ConsentChoice {
                    site: column(row, &id, "site")?,
                    revision: column(row, &id, "revision")?,
                    language: Lang(language),
                    action,
                    categories: choices(row, &id, "categories")?,
                    services: choices(row, &id, "services")?,
                    previous_receipt: column(row, &id, "previous_receipt")?,
                    gpc: column(row, &id, "gpc")?,
                },
                context: RecordContext {
                    ip_prefix: column(row, &id, "ip_prefix")?,
                    ua_family: column(row, &id, "ua_family")?,
                },
                prev_hash: column(row, &id, "prev_hash")?,
                hash: column(row, &id, "hash")?,
                id,
            })
        }

        fn map_json(map: &BTreeMap<String, bool>) -> String {
            serde_json::to_string(map).unwrap_or_else(|_| "{}".to_string())
        }

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
                    .push_bind(map_json(&r.choice.categories))
                    .push_bind(map_json(&r.choice.services))
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
            let Some(last) = records.last() else { return Ok(()) };
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
                "SELECT seq, hash FROM consent_records WHERE chain_id = $1 ORDER BY seq DESC LIMIT 1",
            )
            .bind(chain_id)
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                Some(row) => Ok(Some((row.try_get("seq")?, row.try_get("hash")?))),
                None => Ok(None),
            }
        }

        /// The head the writer recorded for `chain_id` in `ledger_chains`.
        pub async fn recorded_head(
            pool: &Pool,
            chain_id: &str,
        ) -> Result<Option<(i64, String)>, StoreError> {
            let row = sqlx::query("SELECT head_seq, head_hash FROM ledger_chains WHERE chain_id = $1")
                .bind(chain_id)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Ok(Some((row.try_get("head_seq")?, row.try_get("head_hash")?))),
                None => Ok(None),
            }
        }

        pub async fn get_record(pool: &Pool, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
            let row = sqlx::query(&format!("SELECT {RECORD_COLUMNS} FROM consent_records WHERE id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(record_from_row).transpose()
        }

        /// The newest record that names `id` as its previous receipt.
        pub async fn successor(pool: &Pool, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
            let row = sqlx::query(&format!(
                "SELECT {RECORD_COLUMNS} FROM consent_records WHERE previous_receipt = $1 \
                 ORDER BY recorded_at_ms DESC, chain_id DESC, seq DESC LIMIT 1"
            ))
            .bind(id)
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(record_from_row).transpose()
        }

        /// Records of `chain_id` with seq greater than `after_seq`, in seq order.
        pub async fn chain_page(
            pool: &Pool,
            chain_id: &str,
            after_seq: i64,
            limit: i64,
        ) -> Result<Vec<ConsentRecord>, StoreError> {
            let rows = sqlx::query(&format!(
                "SELECT {RECORD_COLUMNS} FROM consent_records WHERE chain_id = $1 AND seq > $2 \
                 ORDER BY seq LIMIT $3"
            ))
            .bind(chain_id)
            .bind(after_seq)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.iter().map(record_from_row).collect()
        }

        pub async fn chain_ids(pool: &Pool) -> Result<Vec<String>, StoreError> {
            let rows = sqlx::query(
                "SELECT chain_id FROM ledger_chains UNION SELECT chain_id FROM consent_records \
                 ORDER BY 1",
            )
            .fetch_all(pool)
            .await?;
            rows.iter().map(|row| Ok(row.try_get::<String, _>(0)?)).collect()
        }

        /// One page of the export, ordered by (recorded_at_ms, chain_id, seq), after `cursor`.
        pub async fn export_page(
            pool: &Pool,
            filter: &ExportFilter,
            cursor: Option<&(i64, String, i64)>,
            limit: i64,
        ) -> Result<Vec<ConsentRecord>, StoreError> {
            let mut query = sqlx::QueryBuilder::<Db>::new(format!(
                "SELECT {RECORD_COLUMNS} FROM consent_records WHERE 1 = 1"
            ));
            if let Some(site) = &filter.site {
                query.push(" AND site = ").push_bind(site.as_str());
            }
            if let Some(since) = filter.since_ms {
                query.push(" AND recorded_at_ms >= ").push_bind(since);
            }
            if let Some(until) = filter.until_ms {
                query.push(" AND recorded_at_ms < ").push_bind(until);
            }
            if let Some((at, chain, seq)) = cursor {
                query
                    .push(" AND (recorded_at_ms, chain_id, seq) > (")
                    .push_bind(*at)
                    .push(", ")
                    .push_bind(chain.as_str())
                    .push(", ")
                    .push_bind(*seq)
                    .push(")");
            }
            query.push(" ORDER BY recorded_at_ms, chain_id, seq LIMIT ").push_bind(limit);
            let rows = query.build().fetch_all(pool).await?;
            rows.iter().map(record_from_row).collect()
        }

        pub async fn meta_get_or_insert(
            pool: &Pool,
            key: &str,
            value_if_absent: &str,
        ) -> Result<String, StoreError> {
            sqlx::query("INSERT INTO kapsel_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                .bind(key)
                .bind(value_if_absent)
                .execute(pool)
                .await?;
            let row = sqlx::query("SELECT value FROM kapsel_meta WHERE key = $1")
                .bind(key)
                .fetch_one(pool)
                .await?;
            Ok(row.try_get("value")?)
        }

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

        pub async fn revision_known(pool: &Pool, site: &str, revision: &str) -> Result<bool, StoreError> {
            let row = sqlx::query(
                "SELECT 1 AS known FROM published_revisions WHERE site = $1 AND revision = $2",
            )
            .bind(site)
            .bind(revision)
            .fetch_optional(pool)
            .await?;
            Ok(row.is_some())
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
    };
}

pub mod sqlite {
    //! The store's statements for SQLite.
    backend_queries!(sqlx::Sqlite);
}

pub mod postgres {
    //! The store's statements for PostgreSQL, plus the per-chain writer lock.
    backend_queries!(sqlx::Postgres);

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
            .push(") INSERT INTO ledger_chains (chain_id, created_at_ms, head_seq, head_hash) VALUES (")
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
        let row = sqlx::query(
            "SELECT pg_try_advisory_lock(hashtextextended('kapsel-chain:' || current_schema() || ':' || $1, 0)) AS locked",
        )
        .bind(chain_id)
        .fetch_one(&mut *conn)
        .await?;
        Ok(row.try_get("locked")?)
    }
}
