//! Filling `events` on one engine inside the database: generate_series on PostgreSQL, a
//! recursive CTE in one statement on SQLite, then the indexes, the statistics, and the written
//! pages flushed, so each run starts from a table at rest.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection as _, Executor as _};

use crate::events::{Place, SPAN_S, START_S};

/// A payload like a page-view event's, for row `n` (an SQL expression or a number).
fn payload(n: &str) -> String {
    format!(
        "'{{\"page\":\"/articles/' || ({n} % 997) || '\",\"visitor\":\"v' || ({n} % 50021) || '\"}}'"
    )
}

impl Place {
    /// Creates `events` afresh (dropping what was there) and fills it with `rows` rows, then
    /// indexes and analyses it; the time it took. No pool may be open on a SQLite file here.
    pub async fn fill(&self, rows: u64) -> Result<Duration> {
        let started = Instant::now();
        match self {
            Place::Postgres { url, schema } => {
                let mut conn = sqlx::PgConnection::connect_with(&Self::pg_options(url, schema)?)
                    .await
                    .context("connecting to PostgreSQL")?;
                // Only the filling session's commits skip the wait for the WAL flush; the runs'
                // connections commit durably.
                let script = [
                    "SET synchronous_commit = off".to_owned(),
                    "SET maintenance_work_mem = '256MB'".to_owned(),
                    "DROP TABLE IF EXISTS events".to_owned(),
                    "CREATE TABLE events (id BIGINT NOT NULL, ts TIMESTAMPTZ NOT NULL, \
                     payload TEXT NOT NULL)"
                        .to_owned(),
                    format!(
                        "INSERT INTO events (id, ts, payload) SELECT s, \
                         to_timestamp({START_S} + ((s - 1) * {SPAN_S}) / {rows}), {} \
                         FROM generate_series(1::bigint, {rows}) AS g(s)",
                        payload("s")
                    ),
                    "ALTER TABLE events ADD PRIMARY KEY (id)".to_owned(),
                    "CREATE INDEX events_ts ON events (ts)".to_owned(),
                    // Vacuumed as well as analysed, so autovacuum's pass over a freshly filled
                    // table does not fall into the measured run.
                    "VACUUM (ANALYZE) events".to_owned(),
                    // The fill's dirty pages written out now, not by a checkpoint in the run.
                    "CHECKPOINT".to_owned(),
                ];
                for sql in script {
                    conn.execute(sql.as_str())
                        .await
                        .with_context(|| format!("filling: {sql}"))?;
                }
                conn.close().await?;
            }
            Place::Sqlite { path } => {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let file = PathBuf::from(file);
                    if file.exists() {
                        std::fs::remove_file(&file)
                            .with_context(|| format!("removing {}", file.display()))?;
                    }
                }
                // No journal and no fsync while filling a fresh file; WAL from then on.
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Off)
                    .synchronous(SqliteSynchronous::Off)
                    .pragma("cache_size", "-262144")
                    .pragma("temp_store", "MEMORY");
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .with_context(|| format!("creating {}", path.display()))?;
                // INTEGER PRIMARY KEY is SQLite's 64-bit row id itself, the key an operator's
                // SQLite table has; BIGINT PRIMARY KEY would add a second index on the same key.
                let script = [
                    "CREATE TABLE events (id INTEGER PRIMARY KEY, ts TEXT NOT NULL, \
                     payload TEXT NOT NULL)"
                        .to_owned(),
                    format!(
                        "WITH RECURSIVE g(s) AS (SELECT 1 UNION ALL SELECT s + 1 FROM g \
                         WHERE s < {rows}) \
                         INSERT INTO events (id, ts, payload) SELECT s, \
                         strftime('%Y-%m-%dT%H:%M:%SZ', {START_S} + ((s - 1) * {SPAN_S}) / {rows}, \
                         'unixepoch'), {} FROM g",
                        payload("s")
                    ),
                    "CREATE INDEX events_ts ON events (ts)".to_owned(),
                    "ANALYZE".to_owned(),
                    "PRAGMA journal_mode = WAL".to_owned(),
                ];
                for sql in script {
                    conn.execute(sql.as_str())
                        .await
                        .with_context(|| format!("filling: {sql}"))?;
                }
                conn.close().await?;
                // The file was written without fsync: flushed now, so the run's first commits
                // do not wait behind a gigabyte of writeback.
                std::fs::File::open(path)
                    .and_then(|f| f.sync_all())
                    .with_context(|| format!("syncing {}", path.display()))?;
            }
        }
        Ok(started.elapsed())
    }
}
