//! Store-level consent-load benchmark. For each backend (SQLite in a temporary directory on the
//! local disk; PostgreSQL in a fresh schema when a URL is given) and each concurrency, `c` tasks
//! append consent records for a fixed time through three writers:
//!
//! - baseline: the `Ledger` with `max_batch = 1`, one transaction + fsync per write;
//! - group commit with random receipt ids (`receipt_id`);
//! - group commit with time-ordered receipt ids (`receipt_id_at`).
//!
//! Each cell then verifies its chain, and the program prints durable writes/s, p50/p99 latency,
//! mean batch size, time per commit and the writer's share of time inside the database as a
//! Markdown table. Bounded in time: `--seconds` per cell (default 3).
//!
//! `cargo run --release -p kapsel-bench-ledger -- [--seconds 3] [--concurrency 1,16,64]
//!  [--postgres postgres://postgres@127.0.0.1:5432/test]`
//!
//! Time and randomness come from `kapsel_core` as in the server (`SystemClock`, `OsRandom`).

// A benchmark measures wall time: its deadlines and latencies use `Instant::now` on purpose.
#![allow(clippy::disallowed_methods)]

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use kapsel_core::consent::{
    ConsentAction, ConsentChoice, Lifetimes, RecordContext, receipt_id, receipt_id_at,
};
use kapsel_core::privacy::ConsentSettings;
use kapsel_core::{Clock, Lang, OsRandom, Random, SystemClock};
use kapsel_store::{Ledger, LedgerAppend, LedgerOptions, LedgerVerify, Store};
use sqlx::Connection as _;
use sqlx::postgres::PgConnectOptions;
use tokio_util::sync::CancellationToken;

struct Settings {
    seconds: u64,
    concurrency: Vec<usize>,
    postgres: Option<String>,
}

fn settings() -> Result<Settings, String> {
    let mut settings = Settings {
        seconds: 3,
        concurrency: vec![1, 16, 64],
        postgres: std::env::var("KAPSEL_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty()),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seconds" => {
                settings.seconds = value
                    .parse()
                    .map_err(|_| format!("--seconds: {value:?} is not a number"))?;
                if !(1..=60).contains(&settings.seconds) {
                    return Err("--seconds must be between 1 and 60".into());
                }
            }
            "--concurrency" => {
                settings.concurrency = value
                    .split(',')
                    .map(|c| {
                        c.trim()
                            .parse()
                            .map_err(|_| format!("--concurrency: {c:?} is not a number"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--postgres" => settings.postgres = Some(value),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    Ok(settings)
}

struct Cell {
    writes: u64,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
    batch: f64,
    /// Share of the wall time the writer spent inside write + commit (fsync).
    db_busy: f64,
    commit_ms: f64,
}

fn choice(n: u64) -> ConsentChoice {
    ConsentChoice {
        site: "www".into(),
        revision: "7f3a9c2e41d05b86".into(),
        language: Lang::new("nb"),
        action: if n.is_multiple_of(3) {
            ConsentAction::RejectAll
        } else {
            ConsentAction::Custom
        },
        categories: [
            ("necessary".to_string(), true),
            ("functional".to_string(), true),
            ("analytics".to_string(), n.is_multiple_of(2)),
            ("marketing".to_string(), false),
        ]
        .into(),
        services: [
            ("ga4".to_string(), n.is_multiple_of(2)),
            ("youtube".to_string(), true),
        ]
        .into(),
        previous_receipt: None,
        gpc: false,
    }
}

async fn run_cell(
    store: &Store,
    chain: &str,
    concurrency: usize,
    max_batch: usize,
    time_ordered: bool,
    seconds: u64,
) -> Result<Cell, String> {
    let shutdown = CancellationToken::new();
    let options = LedgerOptions {
        max_batch,
        ..LedgerOptions::default()
    };
    let ledger = Ledger::start_with(
        store.clone(),
        chain.into(),
        Arc::new(SystemClock),
        shutdown.clone(),
        options,
    )
    .await
    .map_err(|e| e.to_string())?;
    let lifetimes =
        Lifetimes::from_settings(&ConsentSettings::default()).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut n = task as u64;
                while Instant::now() < deadline {
                    let context = RecordContext {
                        ip_prefix: Some("198.51.100.0/24".into()),
                        ua_family: "Firefox".into(),
                    };
                    let begun = Instant::now();
                    let id = if time_ordered {
                        let mut random = [0u8; 10];
                        OsRandom.fill(&mut random);
                        receipt_id_at(SystemClock.now_ms(), random)
                    } else {
                        receipt_id(OsRandom.bytes16())
                    };
                    ledger
                        .append(id, choice(n), context, lifetimes)
                        .await
                        .map_err(|e| e.to_string())?;
                    latencies.push(begun.elapsed());
                    n += concurrency as u64;
                }
                Ok::<_, String>(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.map_err(|e| e.to_string())??);
    }
    let elapsed = started.elapsed();
    let stats = ledger.stats();
    let batches = stats.batches.load(Ordering::Relaxed).max(1);
    let records = stats.records.load(Ordering::Relaxed);
    let commit_micros = stats.commit_micros.load(Ordering::Relaxed) as f64;
    shutdown.cancel();
    ledger.stopped().await;
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    let verdict = store.verify_chain(chain).await.map_err(|e| e.to_string())?;
    let summary = verdict.map_err(|b| format!("chain broken after the run: {b}"))?;
    if summary.records != latencies.len() as u64 {
        return Err(format!(
            "{} receipts but {} records in the chain",
            latencies.len(),
            summary.records
        ));
    }
    Ok(Cell {
        writes: latencies.len() as u64,
        elapsed,
        p50: at(0.50),
        p99: at(0.99),
        batch: records as f64 / batches as f64,
        db_busy: commit_micros / 1e6 / elapsed.as_secs_f64(),
        commit_ms: commit_micros / 1e3 / batches as f64,
    })
}

async fn run_backend(name: &str, store: &Store, settings: &Settings) -> Result<(), String> {
    store.migrate().await.map_err(|e| e.to_string())?;
    for &c in &settings.concurrency {
        let modes = [
            ("baseline: 1 tx+fsync per write", 1, true),
            ("group commit, random ids", 1024, false),
            ("group commit, time-ordered ids", 1024, true),
        ];
        for (mode, max_batch, time_ordered) in modes {
            let chain = format!("bench-{:016x}-{c}-{max_batch}", OsRandom.next_u64());
            let cell =
                run_cell(store, &chain, c, max_batch, time_ordered, settings.seconds).await?;
            println!(
                "| {name} | {mode} | {c} | {:.0} | {:.2} | {:.2} | {:.1} | {:.2} | {:.0} % | {} |",
                cell.writes as f64 / cell.elapsed.as_secs_f64(),
                cell.p50.as_secs_f64() * 1e3,
                cell.p99.as_secs_f64() * 1e3,
                cell.batch,
                cell.commit_ms,
                cell.db_busy * 100.0,
                cell.writes,
            );
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let settings = settings()?;
    println!(
        "| backend | writer | concurrency | durable writes/s | p50 ms | p99 ms | mean batch | ms per commit | writer in DB | writes |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let dir = std::env::temp_dir().join(format!("kapsel-bench-{:016x}", OsRandom.next_u64()));
    let sqlite = Store::open_data_dir(&dir)
        .await
        .map_err(|e| e.to_string())?;
    let outcome = run_backend("SQLite", &sqlite, &settings).await;
    sqlite.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome?;
    match &settings.postgres {
        Some(url) => {
            let schema = format!("kapsel_bench_{:016x}", OsRandom.next_u64());
            let mut admin = sqlx::PgConnection::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut admin)
                .await
                .map_err(|e| e.to_string())?;
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| e.to_string())?
                .options([("search_path", schema.as_str())]);
            let store = Store::open_postgres_with(options)
                .await
                .map_err(|e| e.to_string())?;
            let outcome = run_backend("PostgreSQL", &store, &settings).await;
            store.close().await;
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&mut admin)
                .await
                .map_err(|e| e.to_string())?;
            outcome?;
        }
        None => eprintln!("SKIP: PostgreSQL (pass --postgres URL or set KAPSEL_TEST_DATABASE_URL)"),
    }
    Ok(())
}
