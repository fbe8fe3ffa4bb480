//! The shop database on one engine: its pool (shared by `kapsel_connect` and the hand-written
//! baseline, so both pay the same connection costs), the dataset declaration for that engine, and
//! making sure the generated data is there — reused when a previous run left it complete.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Instant;

use anyhow::{Context as _, Result};
use kapsel_connect::{Connection, DatasetSpec};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection as _, Row as _};

use crate::generate::{self, GENERATOR, Scale};

/// The dataset declaration, without its engine (set per run).
const SHOP: &str = include_str!("shop.toml");

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

/// Where the shop lives.
#[derive(Debug, Clone)]
pub enum Place {
    Postgres { url: String, schema: String },
    Sqlite { path: PathBuf },
}

/// A pool on the shop.
#[derive(Debug, Clone)]
pub enum Pool {
    Pg(PgPool),
    Lite(SqlitePool),
}

pub struct Shop {
    pub backend: Backend,
    pub place: Place,
    pub pool: Pool,
    pub spec: DatasetSpec,
    pub scale: Scale,
}

/// The declaration with `engine` set to `backend`'s.
pub fn spec(backend: Backend) -> Result<DatasetSpec> {
    let mut table: toml::Table = toml::from_str(SHOP).context("shop.toml")?;
    let engine = match backend {
        Backend::Postgres => "postgres",
        Backend::Sqlite => "sqlite",
    };
    table.insert("engine".into(), toml::Value::String(engine.into()));
    let spec: DatasetSpec = toml::Value::Table(table)
        .try_into()
        .context("shop.toml is not a dataset declaration")?;
    Ok(spec)
}

impl Place {
    fn pg_options(url: &str, schema: &str) -> Result<PgConnectOptions> {
        Ok(PgConnectOptions::from_str(url)
            .with_context(|| format!("PostgreSQL URL {url:?}"))?
            .options([("search_path", schema)]))
    }

    fn sqlite_options(path: &std::path::Path) -> SqliteConnectOptions {
        // WAL with the default synchronous=FULL: a committed erasure is on disk, as an operator's
        // shop would have it.
        SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
    }

    /// A pool of `size` connections; `setup` runs on each new PostgreSQL connection.
    pub async fn pool(&self, size: u32, setup: &'static [&'static str]) -> Result<Pool> {
        Ok(match self {
            Place::Postgres { url, schema } => Pool::Pg(
                PgPoolOptions::new()
                    .max_connections(size)
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            for sql in setup {
                                sqlx::query(sql).execute(&mut *conn).await?;
                            }
                            Ok(())
                        })
                    })
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

    pub async fn close(&self) {
        match self {
            Pool::Pg(p) => p.close().await,
            Pool::Lite(p) => p.close().await,
        }
    }
}

impl Shop {
    /// Opens the shop at `place`, generating it first unless a complete one of `scale` is there
    /// (or always, with `regenerate`).
    pub async fn open(place: Place, scale: Scale, regenerate: bool) -> Result<Shop> {
        let backend = match place {
            Place::Postgres { .. } => Backend::Postgres,
            Place::Sqlite { .. } => Backend::Sqlite,
        };
        if regenerate || !complete(&place, scale).await {
            eprintln!(
                "{}: generating the shop ({} customers, {} orders, {} order lines) …",
                backend.name(),
                scale.customers,
                scale.orders(),
                scale.order_lines()
            );
            build(&place, scale).await?;
        } else {
            eprintln!("{}: reusing the generated shop", backend.name());
        }
        let pool = place.pool(4, &[]).await?;
        Ok(Shop {
            backend,
            place,
            pool,
            spec: spec(backend)?,
            scale,
        })
    }
}

/// Whether `place` holds a finished generation of this generator at this scale, with its row
/// counts (customers, orders and order lines are never deleted by an erasure, so they must match
/// exactly; tickets and subscriptions shrink as runs erase requesters).
async fn complete(place: &Place, scale: Scale) -> bool {
    let Ok(pool) = (match place {
        Place::Sqlite { path } if !path.exists() => return false,
        _ => place.pool(1, &[]).await,
    }) else {
        return false;
    };
    let expected = (
        scale.customers as i64,
        scale.orders() as i64,
        scale.order_lines() as i64,
    );
    let sql = format!(
        "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM orders), \
         (SELECT count(*) FROM order_lines), \
         (SELECT count(*) FROM bench_desk_meta WHERE generator = '{GENERATOR}' \
          AND customers = {} AND orders = {} AND order_lines = {})",
        expected.0, expected.1, expected.2
    );
    let found: Result<(i64, i64, i64, i64), sqlx::Error> = match &pool {
        Pool::Pg(p) => sqlx::query(&sql)
            .fetch_one(p)
            .await
            .and_then(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))),
        Pool::Lite(p) => sqlx::query(&sql)
            .fetch_one(p)
            .await
            .and_then(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))),
    };
    pool.close().await;
    matches!(found, Ok((c, o, l, 1)) if (c, o, l) == expected)
}

/// Builds the shop from nothing at `place` (dropping what was there), one statement at a time on
/// one connection.
async fn build(place: &Place, scale: Scale) -> Result<()> {
    let started = Instant::now();
    let script = generate::script(
        match place {
            Place::Postgres { .. } => Backend::Postgres,
            Place::Sqlite { .. } => Backend::Sqlite,
        },
        scale,
    );
    match place {
        Place::Postgres { url, schema } => {
            let mut admin = sqlx::PgConnection::connect(url)
                .await
                .context("connecting to PostgreSQL")?;
            for sql in [
                format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
                format!("CREATE SCHEMA {schema}"),
            ] {
                sqlx::query(&sql).execute(&mut admin).await?;
            }
            admin.close().await?;
            let mut conn = sqlx::PgConnection::connect_with(&Place::pg_options(url, schema)?)
                .await
                .context("connecting to PostgreSQL")?;
            // Only this session's commits skip the wait for the WAL flush: a crash loses at most
            // an unfinished generation, and bench_desk_meta (written last) says so.
            for sql in [
                "SET synchronous_commit = off",
                "SET maintenance_work_mem = '256MB'",
            ] {
                sqlx::query(sql).execute(&mut conn).await?;
            }
            for (label, sql) in script {
                let step = Instant::now();
                let done = sqlx::query(&sql)
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("generating {label}: {sql}"))?;
                generate::progress(&label, done.rows_affected(), step, started);
            }
            conn.close().await?;
        }
        Place::Sqlite { path } => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                let file = PathBuf::from(file);
                if file.exists() {
                    std::fs::remove_file(&file)
                        .with_context(|| format!("removing {}", file.display()))?;
                }
            }
            // No journal and no fsync while generating a fresh file (an interrupted one has no
            // bench_desk_meta row and is generated again); WAL from then on.
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Off)
                .synchronous(SqliteSynchronous::Off)
                .foreign_keys(false)
                .pragma("cache_size", "-262144")
                .pragma("temp_store", "MEMORY");
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .with_context(|| format!("creating {}", path.display()))?;
            for (label, sql) in script {
                let step = Instant::now();
                let done = sqlx::query(&sql)
                    .execute(&mut conn)
                    .await
                    .with_context(|| format!("generating {label}: {sql}"))?;
                generate::progress(&label, done.rows_affected(), step, started);
            }
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&mut conn)
                .await?;
            conn.close().await?;
        }
    }
    eprintln!("  generated in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}
