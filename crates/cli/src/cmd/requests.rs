//! `kapsel requests`: the request desk's cases, for the privacy lead at a terminal.
//!
//! - `list` shows the open cases, the soonest legal deadline first, with how much time is left
//!   (art. 12(3), counted as `kapsel_core::deadline` counts it, today in Europe/Oslo);
//! - `show ID` shows one case with its dates and its whole history, and whether the history
//!   still verifies as a chain (exit code 1 when it does not).
//!
//! The acting commands (`verify`, `extend`, `refuse`, `plan`, `run`, `task`, `complete`) are
//! `requests_act`'s: they go through the running server's admin API.
//!
//! The requester's address and identifiers are shown only by `show`, for the one case asked
//! about. The store is opened with the same flags as `kapsel ledger`.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use kapsel_core::deadline::{self, DueStatus};
use kapsel_core::desk::{Case, iso_date};
use kapsel_core::{Clock, SystemClock};
use kapsel_store::{CaseError, CaseStore, Store};

use super::migrate::{StoreArgs, runtime};
use super::print::{instant, table};
use crate::settings::store::Open;

#[derive(Debug, Args)]
pub struct RequestsArgs {
    #[command(subcommand)]
    pub command: RequestsCommand,
}

#[derive(Debug, Subcommand)]
pub enum RequestsCommand {
    /// List open requests, the soonest legal deadline first.
    List(ListArgs),
    /// Show one request: its dates, its history and whether the history verifies.
    Show(ShowArgs),
    /// Act on a request through the running server's admin API.
    #[command(flatten)]
    Act(super::requests_act::ActCommand),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long, default_value_t = 1000)]
    pub limit: i64,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The case id (26 characters, as `list` prints it).
    pub id: String,
}

pub fn run(args: RequestsArgs) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    match args.command {
        RequestsCommand::List(args) => runtime.block_on(list(args)),
        RequestsCommand::Show(args) => runtime.block_on(show(args)),
        RequestsCommand::Act(command) => {
            drop(runtime);
            super::requests_act::run(command)
        }
    }
}

async fn open(store: &StoreArgs) -> anyhow::Result<Store> {
    let settings = store.settings()?;
    let opened = settings.store.open(Open::Existing).await?;
    opened.migrate().await.context("migration failed")?;
    Ok(opened)
}

/// How the legal deadline stands today, in words for the table.
fn due(case: &Case, now_ms: i64) -> String {
    let status = case
        .dates
        .deadlines(case.received_ms)
        .and_then(|deadlines| deadline::status(&deadlines, now_ms).ok());
    match status {
        Some(DueStatus::OnTrack { days_left }) => format!("on track, {days_left} days left"),
        Some(DueStatus::DueThisWeek { days_left }) => {
            format!("due this week, {days_left} days left")
        }
        Some(DueStatus::DueToday) => "due today".to_owned(),
        Some(DueStatus::Overdue { days_late }) => format!("OVERDUE by {days_late} days"),
        None => "unknown".to_owned(),
    }
}

async fn list(args: ListArgs) -> anyhow::Result<ExitCode> {
    let store = open(&args.store).await?;
    let cases = store.open_cases_by_deadline(args.limit).await?;
    store.close().await;
    let now_ms = SystemClock.now_ms();
    let rows: Vec<[String; 8]> = cases
        .iter()
        .map(|case| {
            [
                case.id.clone(),
                case.site.clone(),
                case.right.as_str().to_owned(),
                case.state.as_str().to_owned(),
                instant(case.received_ms),
                iso_date(case.dates.legal_due),
                iso_date(case.dates.target),
                due(case, now_ms),
            ]
        })
        .collect();
    let header = [
        "id",
        "site",
        "right",
        "state",
        "received",
        "legal due",
        "target",
        "deadline",
    ];
    print!("{}", table(header, &rows));
    println!("{} open request(s)", cases.len());
    Ok(ExitCode::SUCCESS)
}

async fn show(args: ShowArgs) -> anyhow::Result<ExitCode> {
    let store = open(&args.store).await?;
    let case = match store.case(&args.id).await {
        Ok(case) => case,
        Err(CaseError::UnknownCase(id)) => {
            store.close().await;
            eprintln!(
                "no request {id:?} in this store (`kapsel requests list` shows the open ones)"
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(error) => return Err(error.into()),
    };
    let events = store.events(&case.id).await?;
    let verdict = store.verify_case(&case.id).await?;
    store.close().await;
    println!("request {}", case.id);
    println!("  site        {}", case.site);
    println!("  right       {}", case.right.as_str());
    println!("  state       {}", case.state.as_str());
    println!("  e-mail      {}", case.email);
    for (kind, value) in &case.identifiers {
        println!("  {kind:<11} {value}");
    }
    println!("  received    {}", instant(case.received_ms));
    println!(
        "  legal due   {} ({} month(s); {})",
        iso_date(case.dates.legal_due),
        case.dates.months,
        due(&case, SystemClock.now_ms())
    );
    println!("  target      {}", iso_date(case.dates.target));
    println!("history:");
    let rows: Vec<[String; 5]> = events
        .iter()
        .map(|event| {
            let detail: Vec<String> = event
                .kind
                .detail()
                .iter()
                .map(|(key, value)| format!("{key}={value}"))
                .collect();
            [
                event.seq.to_string(),
                instant(event.at_ms),
                event.actor.clone(),
                event.kind.name().to_owned(),
                detail.join("; "),
            ]
        })
        .collect();
    print!("{}", table(["seq", "at", "by", "event", "detail"], &rows));
    Ok(match verdict {
        Ok(_) => {
            println!(
                "history: ok, {} event(s), head {}",
                events.len(),
                case.head_hash
            );
            ExitCode::SUCCESS
        }
        Err(broken) => {
            println!("history: BROKEN: {broken}");
            ExitCode::FAILURE
        }
    })
}
