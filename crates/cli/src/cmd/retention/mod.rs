//! `kapsel retention`: the privacy file's `[[retention]]` rules, run by hand.
//!
//! - `plan FILE [--rule ID]` is the dry run: per rule the cutoff, the expired rows, how many of
//!   them are held, the oldest, and whether the safety limit would stop it;
//! - `run FILE [--rule ID] [--confirm]` runs the rules as the server's schedule does (the same
//!   runner, leases and records; `--confirm` lets a rule change more than
//!   `[jobs] retention_max_share` of its table), and without `--rule` Kapsel's own data too;
//! - `records [--rule ID] [--json]` lists (or exports as JSON lines) the proof of disposal and
//!   verifies each rule's chain (exit code 1 when one does not verify);
//! - `hold add|list|release` keeps data past its period under a legal hold (`hold`).

mod hold;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use kapsel_core::SystemClock;
use kapsel_core::retention::record::verify_chain;
use kapsel_jobs::{RunOptions, Runner};
use kapsel_store::{Retention, Store};

use super::declaration::load_file;
use super::migrate::{StoreArgs, runtime};
use super::print::{instant, table};
use crate::settings::Settings;
use crate::settings::store::Open;

#[derive(Debug, Args)]
pub struct RetentionArgs {
    #[command(subcommand)]
    pub command: RetentionCommand,
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// The dry run: what each rule would delete or anonymise now, and what is held.
    Plan(RuleArgs),
    /// Run the rules now, in batches, recording every batch.
    Run(RunArgs),
    /// The proof of disposal per rule, its chain verified.
    Records(RecordsArgs),
    /// Legal holds: data kept past its period.
    #[command(subcommand)]
    Hold(hold::HoldCommand),
}

#[derive(Debug, Args)]
pub struct RuleArgs {
    /// The privacy file (kapsel.toml).
    pub file: PathBuf,
    /// Only this rule.
    #[arg(long)]
    pub rule: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Let a rule change more than [jobs] retention_max_share of its table.
    #[arg(long)]
    pub confirm: bool,
}

#[derive(Debug, Args)]
pub struct RecordsArgs {
    #[arg(long)]
    pub rule: Option<String>,
    /// Write the records as JSON lines (every field, `hash` and `prev_hash` included, for an
    /// auditor to recompute the chain) instead of a table; the verdicts go to stderr.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub fn run(args: RetentionArgs) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    runtime.block_on(async {
        match args.command {
            RetentionCommand::Plan(args) => plan(args).await,
            RetentionCommand::Run(args) => run_rules(args).await,
            RetentionCommand::Records(args) => records(args).await,
            RetentionCommand::Hold(command) => hold::run(command).await,
        }
    })
}

pub(super) async fn open(store: &StoreArgs) -> anyhow::Result<(Settings, Store)> {
    let settings = store.settings()?;
    settings.jobs.check()?;
    let opened = settings.store.open(Open::Existing).await?;
    opened.migrate().await.context("migration failed")?;
    Ok((settings, opened))
}

async fn runner(args: &RuleArgs) -> anyhow::Result<(Settings, Runner)> {
    let file = load_file(&args.file)?;
    if let Some(id) = &args.rule
        && !file.retention.iter().any(|r| &r.id == id)
    {
        anyhow::bail!(
            "--rule: {} has no [[retention]] rule {id:?}",
            args.file.display()
        );
    }
    let (settings, store) = open(&args.store).await?;
    let connectors: BTreeMap<String, String> = settings
        .connectors
        .iter()
        .map(|(name, c)| (name.clone(), c.url.expose().to_owned()))
        .collect();
    let key = settings
        .desk
        .key
        .as_ref()
        .map(|k| k.expose().as_bytes().to_vec())
        .unwrap_or_default();
    let runner = Runner {
        store,
        clock: Arc::new(SystemClock),
        file: Arc::new(file),
        connectors,
        key,
    };
    Ok((settings, runner))
}

fn options(settings: &Settings, confirm: bool) -> RunOptions {
    let jobs = &settings.jobs;
    RunOptions {
        batch_rows: jobs.retention_batch_rows,
        pause_ms: jobs.retention_pause_ms,
        max_share: jobs.retention_max_share,
        confirm,
        max_batches: None,
        actor: "cli".into(),
        holder: format!("cli-{}", std::process::id()),
        lease_ms: i64::try_from(jobs.retention_lease_seconds.saturating_mul(1000))
            .unwrap_or(i64::MAX),
    }
}

async fn plan(args: RuleArgs) -> anyhow::Result<ExitCode> {
    let (settings, runner) = runner(&args).await?;
    let options = options(&settings, false);
    let mut rows = Vec::new();
    for rule in runner.rules(args.rule.as_deref()) {
        let report = runner.plan(rule, &options).await?;
        let note = match (&report.stopped_by, report.over_limit) {
            (Some(hold), _) => format!("held by {hold}"),
            (None, true) => format!(
                "over the safety limit ({:.0} % of the table): run with --confirm",
                options.max_share * 100.0
            ),
            (None, false) if !report.partitions.is_empty() => report.partitions.join(", "),
            (None, false) => String::new(),
        };
        rows.push([
            report.rule.clone(),
            report.action.to_owned(),
            instant(report.cutoff_ms),
            report.expired.to_string(),
            report.held.to_string(),
            report.oldest.clone().unwrap_or_else(|| "-".into()),
            note,
        ]);
    }
    print!(
        "{}",
        table(
            [
                "RULE", "ACTION", "CUTOFF", "EXPIRED", "HELD", "OLDEST", "NOTE"
            ],
            &rows
        )
    );
    Ok(ExitCode::SUCCESS)
}

async fn run_rules(args: RunArgs) -> anyhow::Result<ExitCode> {
    let (settings, runner) = runner(&args.rules).await?;
    let options = options(&settings, args.confirm);
    let mut failed = false;
    for rule in runner.rules(args.rules.rule.as_deref()) {
        match runner.run(rule, &options).await {
            Err(error) => {
                eprintln!("{}: FAILED — {error}", rule.id);
                failed = true;
            }
            Ok(report) => {
                let stopped = match report.stopped.as_deref() {
                    None => String::new(),
                    Some("lease") => format!(
                        " — skipped: another run holds this rule's lease (it lapses {} s after \
                         that run's last batch)",
                        settings.jobs.retention_lease_seconds
                    ),
                    Some("held") => " — stopped: a legal hold is on this rule or dataset".into(),
                    Some("safety_limit") => format!(
                        " — stopped: it would change more than {:.0} % of the table; run again \
                         with --confirm",
                        options.max_share * 100.0
                    ),
                    Some(other) => format!(" — stopped: {other}"),
                };
                println!(
                    "{}: {} deleted, {} anonymised, {} held, {} batches, {} partitions dropped{}{stopped}",
                    report.rule,
                    report.deleted,
                    report.anonymised,
                    report.held,
                    report.batches,
                    report.partitions_dropped,
                    if report.resumed {
                        " (an interrupted batch was finished first)"
                    } else {
                        ""
                    },
                );
                failed |= report.stopped.as_deref() == Some("safety_limit");
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn records(args: RecordsArgs) -> anyhow::Result<ExitCode> {
    let (_, store) = open(&args.store).await?;
    let rules = match &args.rule {
        Some(rule) => vec![rule.clone()],
        None => store.disposal_rules().await?,
    };
    let mut broken = false;
    for rule in rules {
        let records = store.disposals(&rule).await?;
        let verdict = match verify_chain(&records) {
            Ok(()) => format!("{} records, chain verifies", records.len()),
            Err(why) => {
                broken = true;
                format!("CHAIN BROKEN: {why}")
            }
        };
        if args.json {
            eprintln!("{rule}: {verdict}");
            for record in &records {
                println!("{}", serde_json::to_string(record)?);
            }
            continue;
        }
        println!("{rule}: {verdict}");
        let rows: Vec<[String; 5]> = records
            .iter()
            .map(|r| {
                let detail: Vec<String> = r
                    .detail
                    .iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "table" | "dataset"))
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                [
                    r.seq.to_string(),
                    instant(r.at_ms),
                    r.actor.clone(),
                    r.kind.name().to_owned(),
                    detail.join(" "),
                ]
            })
            .collect();
        print!("{}", table(["SEQ", "AT", "BY", "KIND", "DETAIL"], &rows));
    }
    Ok(if broken {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
