//! `kapsel retention hold add|list|release`: legal holds that keep data past its period, on a
//! dataset or a rule the privacy file declares, or on one data subject by a request desk case
//! (the keyed hashes of their identifiers, as the suppression list has them).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use kapsel_core::retention::hold::{Hold, HoldScope};
use kapsel_core::{Clock, Random, SystemClock};
use kapsel_store::{Retention, Store};

use super::open;
use crate::cmd::declaration::load_file;
use crate::cmd::migrate::StoreArgs;
use crate::cmd::print::{instant, table};
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Place a hold on a dataset, a rule, or one data subject (by a case of the request desk).
    Add(HoldAddArgs),
    /// Every hold, active ones first.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Release a hold (it stays listed with who released it and when).
    Release {
        id: String,
        /// Who releases it.
        #[arg(long)]
        by: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Args)]
pub struct HoldAddArgs {
    /// The privacy file (kapsel.toml): the dataset or rule held must be declared there.
    pub file: PathBuf,
    /// Hold every rule on this dataset.
    #[arg(long, group = "scope")]
    pub dataset: Option<String>,
    /// Hold this rule.
    #[arg(long, group = "scope")]
    pub rule: Option<String>,
    /// Hold the data subject of this request desk case (their identifiers' keyed hashes).
    #[arg(long, group = "scope")]
    pub case: Option<String>,
    /// Who is responsible for the hold.
    #[arg(long)]
    pub owner: String,
    #[arg(long)]
    pub reason: String,
    /// The last day of the hold (YYYY-MM-DD, Europe/Oslo); it ends at the start of the next.
    #[arg(long)]
    pub until: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

pub(super) async fn run(command: HoldCommand) -> anyhow::Result<ExitCode> {
    let clock = SystemClock;
    match command {
        HoldCommand::Add(args) => {
            let file = load_file(&args.file)?;
            if let Some(dataset) = &args.dataset
                && !file.datasets.iter().any(|d| &d.id == dataset)
            {
                anyhow::bail!(
                    "--dataset: {} declares no dataset {dataset:?}",
                    args.file.display()
                );
            }
            if let Some(rule) = &args.rule
                && !file.retention.iter().any(|r| &r.id == rule)
            {
                anyhow::bail!(
                    "--rule: {} has no [[retention]] rule {rule:?}",
                    args.file.display()
                );
            }
            let (settings, store) = open(&args.store).await?;
            let scope = match (&args.dataset, &args.rule, &args.case) {
                (Some(dataset), None, None) => HoldScope::Dataset {
                    dataset: dataset.clone(),
                },
                (None, Some(rule), None) => HoldScope::Rule { rule: rule.clone() },
                (None, None, Some(case)) => subject_scope(&settings, &store, case).await?,
                _ => anyhow::bail!("give exactly one of --dataset, --rule or --case"),
            };
            let expires_ms = crate::cmd::ledger::when::parse_until(&args.until)
                .map_err(|why| anyhow::anyhow!("--until: {why}"))?;
            let now = clock.now_ms();
            if expires_ms <= now {
                anyhow::bail!("--until: {} is already past", args.until);
            }
            if args.owner.trim().is_empty() || args.reason.trim().is_empty() {
                anyhow::bail!("--owner and --reason must say who and why");
            }
            let id = format!("H-{:08x}", kapsel_core::OsRandom.next_u64() >> 32);
            let hold = Hold {
                id: id.clone(),
                scope,
                owner: args.owner,
                reason: args.reason,
                created_ms: now,
                expires_ms,
                released_ms: None,
                released_by: None,
                reminded_ms: None,
            };
            store.add_hold(&hold).await?;
            println!(
                "{id}: holding {} {} until {}",
                hold.scope.name(),
                hold.scope.target(),
                instant(expires_ms)
            );
        }
        HoldCommand::List { store } => {
            let (_, store) = open(&store).await?;
            let now = clock.now_ms();
            let mut holds = store.holds().await?;
            holds.sort_by_key(|h| !h.active_at(now));
            let rows: Vec<[String; 7]> = holds
                .iter()
                .map(|h| {
                    let state = match (h.released_ms, h.active_at(now)) {
                        (Some(at), _) => format!(
                            "released {} by {}",
                            instant(at),
                            h.released_by.as_deref().unwrap_or("?")
                        ),
                        (None, true) => "active".into(),
                        (None, false) => "expired".into(),
                    };
                    [
                        h.id.clone(),
                        h.scope.name().to_owned(),
                        h.scope.target(),
                        h.owner.clone(),
                        instant(h.expires_ms),
                        state,
                        h.reason.clone(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(
                    ["ID", "SCOPE", "TARGET", "OWNER", "UNTIL", "STATE", "REASON"],
                    &rows
                )
            );
        }
        HoldCommand::Release { id, by, store } => {
            let (_, store) = open(&store).await?;
            let hold = store.release_hold(&id, &by, clock.now_ms()).await?;
            println!("{}: released by {by}", hold.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The keyed hashes of a case's identifiers (address and every other one), as the desk's
/// suppression list computes them.
async fn subject_scope(
    settings: &Settings,
    store: &Store,
    case_id: &str,
) -> anyhow::Result<HoldScope> {
    use kapsel_store::CaseStore as _;
    let key = settings
        .desk
        .key
        .as_ref()
        .context("a subject hold needs [desk] key (the key of keyed hashes)")?;
    let case = store.case(case_id).await?;
    let mut subject = case.identifiers.clone();
    subject.insert("email".into(), case.email.clone());
    subject.retain(|_, v| !v.trim().is_empty());
    let mut hashes: Vec<String> = subject
        .iter()
        .map(|(kind, value)| kapsel_connect::identifier_hash(key.expose().as_bytes(), kind, value))
        .collect();
    hashes.sort();
    hashes.dedup();
    Ok(HoldScope::Subject {
        hashes,
        case_id: Some(case.id),
    })
}
