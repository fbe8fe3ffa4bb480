//! `bench/retention`: expire half of an `events` table of 10,000,000 rows through
//! `kapsel_connect`'s batched retention engine, beside one `DELETE … WHERE ts < cutoff` (the
//! baseline), on PostgreSQL and SQLite, while a writer on its own connection keeps inserting
//! into the same table; reports each run's time, rows/s and the writer's latencies as Markdown.
//!
//! `cargo run --release -p kapsel-bench-retention -- [--rows 10000000] [--engine both]
//!  [--batch 10000] [--pause-ms 0] [--writer-rate 200] [--alone 5] [--postgres URL]`
//!
//! PostgreSQL: `--postgres` or `KAPSEL_BENCH_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), in a fresh schema dropped at the end. SQLite: a
//! file in a temporary directory removed at the end. The bench measures the operator-side work
//! plus one durable SQLite insert per batch standing in for the disposal record Kapsel's runner
//! writes to its own store.

// A benchmark measures wall time: its latencies use `Instant::now` on purpose.
#![allow(clippy::disallowed_methods)]

mod events;
mod fill;
mod report;
mod runs;
mod writer;

use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use crate::events::Place;
use crate::runs::Load;

struct Settings {
    postgres: bool,
    sqlite: bool,
    load: Load,
    postgres_url: String,
}

fn settings() -> Result<Settings> {
    let mut s = Settings {
        postgres: true,
        sqlite: true,
        load: Load {
            rows: 10_000_000,
            batch: 10_000,
            writer_rate: 200,
            alone_secs: 5,
            pause: Duration::ZERO,
        },
        postgres_url: std::env::var("KAPSEL_BENCH_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into()),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        let number = |v: &str| -> Result<u64> {
            v.replace(['_', ','], "")
                .parse()
                .with_context(|| format!("{flag}: {v:?} is not a number"))
        };
        match flag.as_str() {
            "--engine" => {
                (s.postgres, s.sqlite) = match value.as_str() {
                    "both" => (true, true),
                    "postgres" => (true, false),
                    "sqlite" => (false, true),
                    other => bail!("--engine: {other:?} is not sqlite, postgres or both"),
                }
            }
            "--rows" => s.load.rows = number(&value)?.max(2),
            "--batch" => s.load.batch = number(&value)?.max(1),
            "--writer-rate" => {
                s.load.writer_rate = u32::try_from(number(&value)?).context("--writer-rate")?;
            }
            "--alone" => s.load.alone_secs = number(&value)?,
            "--pause-ms" => s.load.pause = Duration::from_millis(number(&value)?),
            "--postgres" => s.postgres_url = value,
            other => bail!("unknown flag {other}"),
        }
    }
    Ok(s)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

async fn run() -> Result<()> {
    let s = settings()?;
    let scratch = tempfile::Builder::new()
        .prefix("kapsel-bench-retention-")
        .tempdir()
        .context("a temporary directory")?;
    let mut places = Vec::new();
    if s.sqlite {
        places.push(Place::Sqlite {
            path: scratch.path().join("events.db"),
        });
    }
    if s.postgres {
        places.push(Place::Postgres {
            url: s.postgres_url.clone(),
            schema: format!("bench_retention_{}", std::process::id()),
        });
    }
    let load = s.load;
    let before = load_average();
    let mut runs = Vec::new();
    for place in &places {
        place.prepare().await?;
        let done = runs::on(place, load, scratch.path()).await;
        let removed = place.remove().await;
        runs.extend(done?);
        removed?;
    }
    println!(
        "{} rows, ts over 20 days in id order, {} expired (rule period 10 days); batches of {}, \
         {} ms pause after each; writer {}; {} cores; load average {before} before, {} after\n",
        load.rows,
        events::expired_of(load.rows),
        load.batch,
        load.pause.as_millis(),
        if load.writer_rate == 0 {
            "back to back".to_owned()
        } else {
            format!("{} inserts/s", load.writer_rate)
        },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average(),
    );
    println!("{}", report::table(&runs));
    Ok(())
}
