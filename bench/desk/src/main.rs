//! `bench/desk`: the request desk's access, dry run and erasure through `kapsel_connect` over a
//! fictional shop of 1,000,000 customers and 5,000,000 orders, on PostgreSQL and SQLite, each
//! request timed beside the same lookups written by hand (the baseline), with the plans of every
//! statement both issue. Prints a Markdown table; writes the full plans to `--plans`.
//!
//! `cargo run --release -p kapsel-bench-desk -- [--engines postgres,sqlite] [--customers 1000000]
//!  [--requesters 200] [--seed 2026] [--heavy-orders 10000] [--postgres URL] [--schema NAME]
//!  [--sqlite PATH]
//!  [--plans PATH] [--regenerate]`
//!
//! Besides the sampled requesters, two customers are given `--heavy-orders` more orders for the
//! length of the run (a business customer of many years), and their requests are timed too.
//!
//! The shop is generated once per engine and scale and reused while it is complete (a PostgreSQL
//! schema `bench_desk_<customers>`; a SQLite file `target/bench-desk/shop-<customers>.db`).

// A benchmark measures wall time: its latencies use `Instant::now` on purpose.
#![allow(clippy::disallowed_methods)]

mod baseline;
mod generate;
mod heavy;
mod measure;
mod plans;
mod report;
mod sample;
mod shop;

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};

use crate::generate::Scale;
use crate::shop::{Place, Shop};

struct Settings {
    postgres: bool,
    sqlite: bool,
    scale: Scale,
    requesters: usize,
    seed: u64,
    heavy_orders: u64,
    postgres_url: String,
    schema: Option<String>,
    sqlite_path: Option<PathBuf>,
    plans: PathBuf,
    regenerate: bool,
}

/// `target/bench-desk` of this workspace: the default home of the SQLite shop and the plans.
fn out_dir() -> PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .unwrap_or(manifest)
        .join("target/bench-desk")
}

fn settings() -> Result<Settings> {
    let mut s = Settings {
        postgres: true,
        sqlite: true,
        scale: Scale {
            customers: 1_000_000,
        },
        requesters: 200,
        seed: 2026,
        heavy_orders: 10_000,
        postgres_url: std::env::var("KAPSEL_BENCH_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into()),
        schema: None,
        sqlite_path: None,
        plans: out_dir().join("plans.md"),
        regenerate: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--regenerate" {
            s.regenerate = true;
            continue;
        }
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        let number = |v: &str| -> Result<u64> {
            v.replace('_', "")
                .parse()
                .with_context(|| format!("{flag}: {v:?} is not a number"))
        };
        match flag.as_str() {
            "--engines" => {
                s.postgres = false;
                s.sqlite = false;
                for engine in value.split(',') {
                    match engine.trim() {
                        "postgres" => s.postgres = true,
                        "sqlite" => s.sqlite = true,
                        other => bail!("--engines: unknown engine {other:?} (postgres, sqlite)"),
                    }
                }
            }
            "--customers" => s.scale.customers = number(&value)?.max(10),
            "--requesters" => s.requesters = number(&value)?.max(1) as usize,
            "--seed" => s.seed = number(&value)?,
            "--heavy-orders" => s.heavy_orders = number(&value)?,
            "--postgres" => s.postgres_url = value,
            "--schema" => {
                if !kapsel_connect::is_plain_identifier(&value) {
                    bail!("--schema: {value:?} is not a plain SQL identifier");
                }
                s.schema = Some(value);
            }
            "--sqlite" => s.sqlite_path = Some(PathBuf::from(value)),
            "--plans" => s.plans = PathBuf::from(value),
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

async fn run() -> Result<()> {
    let s = settings()?;
    plans::install()?;
    let customers = s.scale.customers;
    let mut places = Vec::new();
    if s.postgres {
        places.push(Place::Postgres {
            url: s.postgres_url.clone(),
            schema: s
                .schema
                .clone()
                .unwrap_or_else(|| format!("bench_desk_{customers}")),
        });
    }
    if s.sqlite {
        places.push(Place::Sqlite {
            path: s
                .sqlite_path
                .clone()
                .unwrap_or_else(|| out_dir().join(format!("shop-{customers}.db"))),
        });
    }
    let header = format!(
        "{} customers, {} orders, {} order lines, {} support tickets; {} requesters (seed {}); \
         {} cores",
        customers,
        s.scale.orders(),
        s.scale.order_lines(),
        s.scale.tickets(),
        s.requesters,
        s.seed,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let mut runs = Vec::new();
    for place in places {
        let shop = Shop::open(place, s.scale, s.regenerate).await?;
        let run = measure::run(&shop, s.requesters, s.seed, s.heavy_orders).await;
        shop.pool.close().await;
        runs.push(run?);
    }
    if let Some(dir) = s.plans.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&s.plans, report::plans_file(&runs, &header))
        .with_context(|| format!("writing {}", s.plans.display()))?;
    println!("{header}\n");
    println!("{}", report::table(&runs, false));
    if runs.iter().any(|r| !r.heavy.is_empty()) {
        println!(
            "Heavy requesters ({} more orders each, 1 + o % 3 lines per order):\n",
            s.heavy_orders
        );
        println!("{}", report::table(&runs, true));
    }
    println!("{}", report::notes(&runs));
    println!("{}", report::plan_summary(&runs));
    println!("Full plans: {}", s.plans.display());
    Ok(())
}
