//! The measured runs on one engine, each on a freshly filled table with the writer inserting
//! beside it: the writer alone (how fast an insert is here with nothing else running), the
//! batched engine (`next_batch` / `run_batch` to the end, with one disposal-record insert per
//! batch into a SQLite store standing in for Kapsel's own), and the baseline, one
//! `DELETE FROM events WHERE ts < cutoff`. After each run the table is counted: exactly the
//! expired rows must be gone and every row the writer added must be there.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use kapsel_connect::{Key, SubjectHolds, next_batch, run_batch};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::events::{self, Backend, Place, Pool, Retention};
use crate::writer::{Writer, Writes};

/// What was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The writer with nothing beside it, for this many seconds.
    WriterAlone(u64),
    /// The batched engine, at most this many rows a batch.
    Batched(u64),
    /// One DELETE statement.
    SingleDelete,
}

/// One run's numbers.
#[derive(Debug, Clone)]
pub struct Run {
    pub backend: Backend,
    pub method: Method,
    pub deleted: u64,
    pub elapsed: Duration,
    pub batches: u64,
    pub slowest_batch: Duration,
    pub writes: Writes,
}

impl Run {
    pub fn rows_per_second(&self) -> f64 {
        // Row counts are far below 2^53.
        #[allow(clippy::cast_precision_loss)]
        let rows = self.deleted as f64;
        rows / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// The settings a run needs.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub rows: u64,
    pub batch: u64,
    pub writer_rate: u32,
    pub alone_secs: u64,
    /// A pause after each batch (0: back to back, as the engine's loop runs them).
    pub pause: Duration,
}

/// Every run on `place`: fill, writer alone, batched; fill again, single DELETE.
pub async fn on(place: &Place, load: Load, scratch: &Path) -> Result<Vec<Run>> {
    let backend = place.backend();
    let retention = Retention::new(backend)?;
    let mut out = Vec::new();
    for method in [Method::Batched(load.batch), Method::SingleDelete] {
        eprintln!("{}: filling {} rows …", backend.name(), load.rows);
        let took = place.fill(load.rows).await?;
        eprintln!("  filled in {:.0} s", took.as_secs_f64());
        let pool = place.pool(2).await?;
        let result = async {
            events::check_filled(&pool, backend, load.rows).await?;
            if method == Method::Batched(load.batch) && load.alone_secs > 0 {
                out.push(writer_alone(place, load).await?);
            }
            let store =
                DisposalStore::open(&scratch.join(format!("store-{}.db", out.len()))).await?;
            let run = measured(place, &pool, &retention, load, method, &store).await;
            store.pool.close().await;
            run
        }
        .await;
        pool.close().await;
        out.push(result?);
    }
    Ok(out)
}

async fn writer_alone(place: &Place, load: Load) -> Result<Run> {
    eprintln!("  the writer alone for {} s …", load.alone_secs);
    // Ids far above the run's writer, whose rows the count after the run expects.
    let writer = Writer::start(place, load.writer_rate, i64::MAX / 2)?;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(load.alone_secs)).await;
    let elapsed = started.elapsed();
    let writes = writer.stop()?;
    let pool = place.pool(1).await?;
    let removed = pool
        .execute(&format!("DELETE FROM events WHERE id >= {}", i64::MAX / 2))
        .await;
    pool.close().await;
    if removed? != writes.count() + 1 {
        bail!("the writer-alone rows were not all there");
    }
    Ok(Run {
        backend: place.backend(),
        method: Method::WriterAlone(load.alone_secs),
        deleted: 0,
        elapsed,
        batches: 0,
        slowest_batch: Duration::ZERO,
        writes,
    })
}

/// One run of `method` with the writer beside it, checked afterwards.
async fn measured(
    place: &Place,
    pool: &Pool,
    retention: &Retention,
    load: Load,
    method: Method,
    store: &DisposalStore,
) -> Result<Run> {
    let backend = place.backend();
    let first_id = i64::try_from(load.rows)? + 1;
    let writer = Writer::start(place, load.writer_rate, first_id)?;
    eprintln!("  {} …", label(method));
    let started = Instant::now();
    let done = match method {
        Method::Batched(limit) => batched(pool, retention, limit, load.pause, store).await,
        Method::SingleDelete => single_delete(pool, backend, store).await,
        Method::WriterAlone(_) => bail!("not a deletion"),
    };
    let elapsed = started.elapsed();
    let writes = writer.stop()?;
    let (deleted, batches, slowest_batch) = done?;
    eprintln!(
        "  {deleted} rows in {:.1} s; {} writes, p99 {:.1} ms",
        elapsed.as_secs_f64(),
        writes.count(),
        writes.quantile(0.99).as_secs_f64() * 1e3
    );
    let expired = events::expired_of(load.rows);
    if deleted != expired {
        bail!(
            "{}: {} deleted {deleted} rows, not {expired}",
            backend.name(),
            label(method)
        );
    }
    // The writer's first insert (before the run) is not among its timed writes.
    events::check_expired(pool, backend, load.rows, writes.count() + 1).await?;
    Ok(Run {
        backend,
        method,
        deleted,
        elapsed,
        batches,
        slowest_batch,
        writes,
    })
}

pub fn label(method: Method) -> String {
    match method {
        Method::WriterAlone(secs) => format!("writer alone, {secs} s (reference)"),
        Method::Batched(limit) => format!("kapsel_connect, batches of {limit}"),
        Method::SingleDelete => "one DELETE (baseline)".to_owned(),
    }
}

/// The runner's loop: deleted rows, batches, the slowest batch (selection, deletion, record;
/// not the pause).
async fn batched(
    pool: &Pool,
    retention: &Retention,
    limit: u64,
    pause: Duration,
    store: &DisposalStore,
) -> Result<(u64, u64, Duration)> {
    let conn = pool.connection();
    let Retention {
        spec,
        rule,
        cutoff_ms,
    } = retention;
    let holds = SubjectHolds::default();
    let (mut deleted, mut batches, mut slowest) = (0, 0, Duration::ZERO);
    let mut after: Option<Key> = None;
    loop {
        let started = Instant::now();
        let Some(batch) = next_batch(&conn, spec, rule, *cutoff_ms, after.as_ref(), limit).await?
        else {
            break;
        };
        let outcome = run_batch(&conn, spec, rule, *cutoff_ms, &batch, &holds, b"bench-key")
            .await
            .with_context(|| format!("batch {batches}"))?;
        store
            .record(&rule.id, &batch.through, outcome.deleted)
            .await?;
        deleted += outcome.deleted;
        batches += 1;
        slowest = slowest.max(started.elapsed());
        after = Some(batch.through);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
    Ok((deleted, batches, slowest))
}

async fn single_delete(
    pool: &Pool,
    backend: Backend,
    store: &DisposalStore,
) -> Result<(u64, u64, Duration)> {
    let started = Instant::now();
    let deleted = pool
        .execute(&format!(
            "DELETE FROM events WHERE {}",
            events::expired_condition(backend)
        ))
        .await?;
    store
        .record("events", &Key::Text("all".into()), deleted)
        .await?;
    Ok((deleted, 1, started.elapsed()))
}

/// A stand-in for Kapsel's own store: one durable SQLite insert per batch (the real runner
/// writes the hash-chained disposal record there).
struct DisposalStore {
    pool: SqlitePool,
}

impl DisposalStore {
    async fn open(path: &Path) -> Result<DisposalStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .with_context(|| format!("opening {}", path.display()))?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS disposals (seq INTEGER PRIMARY KEY, rule TEXT NOT NULL, \
             through TEXT NOT NULL, deleted INTEGER NOT NULL)",
        )
        .execute(&pool)
        .await?;
        Ok(DisposalStore { pool })
    }

    async fn record(&self, rule: &str, through: &Key, deleted: u64) -> Result<()> {
        let through = match through {
            Key::Int(i) => i.to_string(),
            Key::Text(t) => t.clone(),
        };
        sqlx::query("INSERT INTO disposals (rule, through, deleted) VALUES (?1, ?2, ?3)")
            .bind(rule)
            .bind(through)
            .bind(i64::try_from(deleted)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
