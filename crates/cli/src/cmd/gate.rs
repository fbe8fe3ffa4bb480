//! `kapsel gate`: the consent gate's evidence, for the operator and the privacy lead.
//!
//! - `trace RECEIPT [--json]` shows what left the server for one visitor and why: every event
//!   that named the receipt, per destination, forwarded or blocked (by which category, receipt
//!   problem or objection), failed or dead;
//! - `dead [--json]` lists the dead letters;
//! - `replay SITE MESSAGE_ID DESTINATION` queues one again (judged again at delivery).
//!
//! Each subcommand opens the store with the same flags as `kapsel ledger`.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use kapsel_core::SystemClock;
use kapsel_core::consent::is_receipt_id;
use kapsel_server::gate::admin::delivery_json;
use kapsel_store::{Delivery, DeliveryState, GateEvents, Store, TraceQuery};

use super::migrate::{StoreArgs, runtime};
use super::print::{instant, table};
use crate::settings::store::Open;

/// Most rows one command prints.
const LIMIT: i64 = 100_000;

#[derive(Debug, Args)]
pub struct GateArgs {
    #[command(subcommand)]
    pub command: GateCommand,
}

#[derive(Debug, Subcommand)]
pub enum GateCommand {
    /// What left the server for the visitor with this receipt, where, and why the rest did not.
    Trace(TraceArgs),
    /// The dead letters: events a destination refused or that failed their last attempt.
    Dead(DeadArgs),
    /// Queue a dead letter again.
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The receipt id (from the consent cookie or the receipt page).
    pub receipt: String,
    /// One JSON object per line instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DeadArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    pub site: String,
    pub message_id: String,
    pub destination: String,
}

pub fn run(args: GateArgs) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    match args.command {
        GateCommand::Trace(args) => runtime.block_on(trace(args)),
        GateCommand::Dead(args) => runtime.block_on(dead(args)),
        GateCommand::Replay(args) => runtime.block_on(replay(args)),
    }
}

async fn open(store: &StoreArgs) -> anyhow::Result<Store> {
    let settings = store.settings()?;
    let opened = settings.store.open(Open::Existing).await?;
    opened.migrate().await.context("migration failed")?;
    Ok(opened)
}

async fn trace(args: TraceArgs) -> anyhow::Result<ExitCode> {
    if !is_receipt_id(&args.receipt) {
        bail!(
            "RECEIPT: `{}` is not a receipt id (26 characters of Crockford base32)",
            args.receipt
        );
    }
    let store = open(&args.store).await?;
    let rows = store
        .trace(&TraceQuery::Receipt(args.receipt.clone()), LIMIT)
        .await?;
    store.close().await;
    if args.json {
        print_json(&rows);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("No event named receipt {}.", args.receipt);
        return Ok(ExitCode::SUCCESS);
    }
    print_table(&rows);
    let mut per_state: BTreeMap<(DeliveryState, &str), usize> = BTreeMap::new();
    for row in &rows {
        *per_state
            .entry((row.state, row.destination.as_str()))
            .or_default() += 1;
    }
    let events: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.message_id.as_str()).collect();
    println!("\n{} events named receipt {}:", events.len(), args.receipt);
    for ((state, destination), n) in per_state {
        println!("  {destination}: {n} {}", state.as_str());
    }
    Ok(ExitCode::SUCCESS)
}

async fn dead(args: DeadArgs) -> anyhow::Result<ExitCode> {
    let store = open(&args.store).await?;
    let rows = store.trace(&TraceQuery::Dead, LIMIT).await?;
    store.close().await;
    if args.json {
        print_json(&rows);
    } else if rows.is_empty() {
        println!("No dead letters.");
    } else {
        print_table(&rows);
    }
    Ok(ExitCode::SUCCESS)
}

async fn replay(args: ReplayArgs) -> anyhow::Result<ExitCode> {
    let store = open(&args.store).await?;
    let now = kapsel_core::Clock::now_ms(&SystemClock);
    let queued = store
        .replay(&args.site, &args.message_id, &args.destination, now)
        .await?;
    store.close().await;
    if !queued {
        bail!(
            "MESSAGE_ID: no dead letter {} of site {} for destination {} with its event still kept",
            args.message_id,
            args.site,
            args.destination
        );
    }
    println!("Queued {} for {} again.", args.message_id, args.destination);
    Ok(ExitCode::SUCCESS)
}

fn print_json(rows: &[Delivery]) {
    for row in rows {
        println!("{}", delivery_json(row));
    }
}

fn print_table(rows: &[Delivery]) {
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|d| {
            [
                instant(d.received_ms),
                d.kind.clone(),
                d.message_id.clone(),
                d.destination.clone(),
                d.state.as_str().to_owned(),
                d.reason.clone().unwrap_or_default(),
                d.attempts.to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            [
                "received",
                "type",
                "message",
                "destination",
                "state",
                "why",
                "attempts"
            ],
            &cells
        )
    );
}
