//! The `events` table on one engine: where it lives (a fresh PostgreSQL schema, a SQLite file in
//! a temporary directory), pools on it, the dataset declaration and retention rule that expire
//! half of it, and the counts that check a run removed exactly the expired rows (filling it is
//! `fill`'s).
//!
//! Row `id` (1..=rows) has `ts = START + floor((id - 1) · 20 days / rows)`, whole seconds, so
//! the rows are spread over 20 days in id order. The rule keeps 10 days and the run's "now" is
//! `START + 20 days`: the cutoff is `START + 10 days`, and exactly the first ⌈rows / 2⌉ ids are
//! before it. The concurrent writer's rows have ids above `rows` and `ts = now`, so they never
//! expire.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use kapsel_connect::{Connection, DatasetSpec};
use kapsel_core::privacy::RetentionRule;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection as _, Executor as _};

/// 2026-01-01T00:00:00Z, the oldest row's time, in Unix seconds.
pub(crate) const START_S: i64 = 1_767_225_600;
const DAY_S: i64 = 86_400;
/// The rows' timestamps span this many seconds (20 days).
pub(crate) const SPAN_S: i64 = 20 * DAY_S;
/// The run's "now": the end of the span.
pub const NOW_MS: i64 = (START_S + SPAN_S) * 1000;
/// `NOW_MS` minus the rule's period.
const CUTOFF_S: i64 = START_S + 10 * DAY_S;

/// The declaration of the one table, as an operator would write it in `[[datasets]]`. A table
/// must be reachable from a requester to be declared, so `payload` stands in as the visitor
/// reference; the delete rule never reads it.
fn spec_toml(engine: &str) -> String {
    format!(
        r#"id = "site"
connection = "site_db"
engine = "{engine}"

[[tables]]
name = "events"
primary_key = "id"
identity = {{ payload = "visitor_ref" }}
[tables.fields]
payload = {{ category = "traffic", activity = "statistics", erasure = "delete_row" }}
ts = {{ category = "traffic", activity = "statistics", erasure = "delete_row" }}
"#
    )
}

const RULE: &str = r#"id = "events"
activity = "statistics"
dataset = "site"
table = "events"
timestamp = "ts"
period = "10 days"
ground = "Page events are not needed after ten days."
action = "delete"
"#;

/// The engines this benchmark runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
        }
    }
}

/// Where the table lives.
#[derive(Debug, Clone)]
pub enum Place {
    Postgres { url: String, schema: String },
    Sqlite { path: PathBuf },
}

/// A pool on the table's database.
#[derive(Debug, Clone)]
pub enum Pool {
    Pg(PgPool),
    Lite(SqlitePool),
}

/// The declaration, the rule and its cutoff for `backend`.
pub struct Retention {
    pub spec: DatasetSpec,
    pub rule: RetentionRule,
    pub cutoff_ms: i64,
}

impl Retention {
    pub fn new(backend: Backend) -> Result<Retention> {
        let engine = match backend {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        };
        let spec: DatasetSpec = toml::from_str(&spec_toml(engine)).context("the declaration")?;
        let rule: RetentionRule = toml::from_str(RULE).context("the rule")?;
        let cutoff_ms =
            kapsel_core::retention::cutoff(&rule, NOW_MS).context("the rule has no cutoff")?;
        ensure!(
            cutoff_ms == CUTOFF_S * 1000,
            "the rule's cutoff {cutoff_ms} is not the bench's {}",
            CUTOFF_S * 1000
        );
        Ok(Retention {
            spec,
            rule,
            cutoff_ms,
        })
    }
}

/// How many of `rows` generated rows are before the cutoff: ids with `id - 1 < rows / 2`.
pub fn expired_of(rows: u64) -> u64 {
    rows.div_ceil(2)
}

/// The engine's SQL for "`ts` before the cutoff", the same comparison the engine binds.
pub fn expired_condition(backend: Backend) -> String {
    match backend {
        Backend::Postgres => format!("ts < to_timestamp({CUTOFF_S})"),
        Backend::Sqlite => format!("ts < strftime('%Y-%m-%dT%H:%M:%S', {CUTOFF_S}, 'unixepoch')"),
    }
}

/// The writer's statement: one row with `ts = now`, its id and payload bound.
pub fn insert_sql(backend: Backend) -> String {
    let now_s = NOW_MS / 1000;
    match backend {
        Backend::Postgres => {
            format!("INSERT INTO events (id, ts, payload) VALUES ($1, to_timestamp({now_s}), $2)")
        }
        Backend::Sqlite => format!(
            "INSERT INTO events (id, ts, payload) VALUES \
             (?1, strftime('%Y-%m-%dT%H:%M:%SZ', {now_s}, 'unixepoch'), ?2)"
        ),
    }
}

impl Place {
    pub fn backend(&self) -> Backend {
        match self {
            Place::Postgres { .. } => Backend::Postgres,
            Place::Sqlite { .. } => Backend::Sqlite,
        }
    }

    pub(crate) fn pg_options(url: &str, schema: &str) -> Result<PgConnectOptions> {
        Ok(PgConnectOptions::from_str(url)
            .with_context(|| format!("PostgreSQL URL {url:?}"))?
            .options([("search_path", schema)]))
    }

    /// WAL with synchronous=FULL: every commit is on disk, as an operator's database would have
    /// it. Waiting for the write lock may take as long as the other side holds it (the single
    /// DELETE holds it for its whole run), so the busy timeout is far above any run here.
    fn sqlite_options(path: &std::path::Path) -> SqliteConnectOptions {
        SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(3600))
    }

    /// A pool of `size` connections.
    pub async fn pool(&self, size: u32) -> Result<Pool> {
        Ok(match self {
            Place::Postgres { url, schema } => Pool::Pg(
                PgPoolOptions::new()
                    .max_connections(size)
                    .connect_with(Self::pg_options(url, schema)?)
                    .await
                    .context("connecting to PostgreSQL")?,
            ),
            Place::Sqlite { path } => Pool::Lite(
                SqlitePoolOptions::new()
                    .max_connections(size)
                    .connect_with(Self::sqlite_options(path))
                    .await
                    .with_context(|| format!("opening {}", path.display()))?,
            ),
        })
    }

    /// Creates the schema (PostgreSQL; dropping one of the same name first).
    pub async fn prepare(&self) -> Result<()> {
        if let Place::Postgres { url, schema } = self {
            let mut admin = sqlx::PgConnection::connect(url)
                .await
                .context("connecting to PostgreSQL")?;
            admin
                .execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE").as_str())
                .await?;
            admin
                .execute(format!("CREATE SCHEMA {schema}").as_str())
                .await?;
            admin.close().await?;
        }
        Ok(())
    }

    /// Drops the schema (PostgreSQL); the SQLite directory goes with its `TempDir`.
    pub async fn remove(&self) -> Result<()> {
        if let Place::Postgres { url, schema } = self {
            let mut admin = sqlx::PgConnection::connect(url)
                .await
                .context("connecting to PostgreSQL")?;
            admin
                .execute(format!("DROP SCHEMA IF EXISTS {schema} CASCADE").as_str())
                .await?;
            admin.close().await?;
        }
        Ok(())
    }
}

impl Pool {
    /// The same pool as `kapsel_connect` takes it.
    pub fn connection(&self) -> Connection {
        match self {
            Pool::Pg(p) => Connection::Postgres(p.clone()),
            Pool::Lite(p) => Connection::Sqlite(p.clone()),
        }
    }

    /// Runs one statement of our own (no values to bind); the rows it changed.
    pub async fn execute(&self, sql: &str) -> Result<u64> {
        Ok(match self {
            Pool::Pg(p) => sqlx::query(sql).execute(p).await?.rows_affected(),
            Pool::Lite(p) => sqlx::query(sql).execute(p).await?.rows_affected(),
        })
    }

    /// One row `id` with `payload` by the writer's statement `sql`.
    pub async fn insert(&self, sql: &str, id: i64, payload: &str) -> Result<(), sqlx::Error> {
        match self {
            Pool::Pg(p) => sqlx::query(sql).bind(id).bind(payload).execute(p).await?,
            Pool::Lite(p) => {
                sqlx::query(sql).bind(id).bind(payload).execute(p).await?;
                return Ok(());
            }
        };
        Ok(())
    }

    /// A query of one non-negative integer (`count(*)`, `coalesce(min(id), 0)`).
    async fn number(&self, sql: &str) -> Result<u64> {
        let n: i64 = match self {
            Pool::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
            Pool::Lite(p) => sqlx::query_scalar(sql).fetch_one(p).await?,
        };
        u64::try_from(n).with_context(|| format!("{sql} gave {n}"))
    }

    pub async fn close(&self) {
        match self {
            Pool::Pg(p) => p.close().await,
            Pool::Lite(p) => p.close().await,
        }
    }
}

/// What the table holds, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Census {
    all: u64,
    expired: u64,
    /// Rows the writer added (ids above the generated ones).
    written: u64,
    /// The lowest id left (0 for an empty table).
    lowest: u64,
}

async fn census(pool: &Pool, backend: Backend, rows: u64) -> Result<Census> {
    Ok(Census {
        all: pool.number("SELECT count(*) FROM events").await?,
        expired: pool
            .number(&format!(
                "SELECT count(*) FROM events WHERE {}",
                expired_condition(backend)
            ))
            .await?,
        written: pool
            .number(&format!("SELECT count(*) FROM events WHERE id > {rows}"))
            .await?,
        lowest: pool
            .number("SELECT coalesce(min(id), 0) FROM events")
            .await?,
    })
}

/// Checks that a fresh fill holds `rows` rows, ⌈rows / 2⌉ of them expired.
pub async fn check_filled(pool: &Pool, backend: Backend, rows: u64) -> Result<()> {
    let found = census(pool, backend, rows).await?;
    let expected = Census {
        all: rows,
        expired: expired_of(rows),
        written: 0,
        lowest: 1,
    };
    if found != expected {
        bail!(
            "{}: the filled table is {found:?}, not {expected:?}",
            backend.name()
        );
    }
    Ok(())
}

/// Checks that after a run exactly the expired rows are gone and every row the writer added
/// (`writes`) is there.
pub async fn check_expired(pool: &Pool, backend: Backend, rows: u64, writes: u64) -> Result<()> {
    let found = census(pool, backend, rows).await?;
    let expired = expired_of(rows);
    // `rows` is at least 2 (settings), so a generated row survives.
    let expected = Census {
        all: rows - expired + writes,
        expired: 0,
        written: writes,
        lowest: expired + 1,
    };
    if found != expected {
        bail!(
            "{}: after the run the table is {found:?}, not {expected:?}",
            backend.name()
        );
    }
    Ok(())
}
