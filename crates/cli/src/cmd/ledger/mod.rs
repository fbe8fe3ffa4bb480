//! `kapsel ledger verify` and `kapsel ledger export`: the proof an authority asks for.
//!
//! `verify` checks every chain in the database (exit 1 and the break on failure) or, with
//! `--file`, a JSONL export on its own. `export` writes records as JSONL (one `ConsentRecord`
//! per line, exactly the fields the hash covers) or CSV, filtered by site and time.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use futures::TryStreamExt;
use kapsel_core::consent::ConsentRecord;
use kapsel_core::consent::chain::ChainVerifier;
use kapsel_store::{ExportFilter, LedgerRead, LedgerVerify};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::migrate::{StoreArgs, runtime};
use crate::settings::store::Open;

#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Prove that no record was changed, reordered or removed, chain by chain.
    Verify(VerifyArgs),
    /// Write records as JSONL or CSV, filtered by site and time.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Verify a complete JSONL export instead of the database.
    #[arg(long)]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
    /// Only records of this site.
    #[arg(long)]
    pub site: Option<String>,
    /// Only records made at or after this instant (RFC 3339, e.g. 2026-03-01T00:00:00Z).
    #[arg(long, value_parser = parse_instant)]
    pub since: Option<i64>,
    /// Only records made before this instant (RFC 3339).
    #[arg(long, value_parser = parse_instant)]
    pub until: Option<i64>,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: LedgerArgs) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    match args.command {
        LedgerCommand::Verify(args) => match &args.file {
            Some(file) => verify_file(file),
            None => runtime.block_on(verify_store(&args.store)),
        },
        LedgerCommand::Export(args) => runtime.block_on(export(args)),
    }
}

fn parse_instant(text: &str) -> Result<i64, String> {
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|err| {
        format!("{text:?} is not an RFC 3339 instant such as 2026-03-01T00:00:00Z ({err})")
    })?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| format!("{text:?} is out of range"))
}

async fn verify_store(store_args: &StoreArgs) -> anyhow::Result<ExitCode> {
    let store = store_args.open(Open::Existing).await?;
    let verdicts = store.verify_all().await.context("cannot read the ledger")?;
    store.close().await;
    let mut broken = 0;
    for verdict in &verdicts {
        match verdict {
            Ok(summary) => println!(
                "chain {}: ok, {} records, head {}",
                summary.chain_id, summary.records, summary.head_hash
            ),
            Err(chain_break) => {
                broken += 1;
                println!("BROKEN: {chain_break}");
            }
        }
    }
    println!("{} chain(s) verified, {broken} broken", verdicts.len());
    Ok(if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Verifies a full JSONL export: records grouped by chain, sorted by seq, checked as a chain.
fn verify_file(path: &PathBuf) -> anyhow::Result<ExitCode> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut chains: BTreeMap<String, Vec<ConsentRecord>> = BTreeMap::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let record: ConsentRecord = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: not a consent record", path.display(), index + 1))?;
        chains
            .entry(record.chain_id.clone())
            .or_default()
            .push(record);
    }
    let mut broken = 0;
    for (chain_id, mut records) in chains {
        records.sort_by_key(|r| r.seq);
        let mut verifier = ChainVerifier::new(&chain_id);
        match records.iter().try_for_each(|r| verifier.push(r)) {
            Ok(()) => {
                let summary = verifier.finish();
                println!(
                    "chain {chain_id}: ok, {} records, head {}",
                    summary.records, summary.head_hash
                );
            }
            Err(chain_break) => {
                broken += 1;
                println!("BROKEN: {chain_break}");
            }
        }
    }
    Ok(if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    if let (Some(since), Some(until)) = (args.since, args.until)
        && since >= until
    {
        bail!("--since must be before --until");
    }
    let store = args.store.open(Open::Existing).await?;
    let filter = ExportFilter {
        site: args.site.clone(),
        since_ms: args.since,
        until_ms: args.until,
    };
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    if args.format == Format::Csv {
        writeln!(out, "{}", kapsel_publish::csv::row(CSV_HEADER))?;
    }
    let mut records = std::pin::pin!(store.export(filter));
    let mut count = 0u64;
    while let Some(record) = records.try_next().await.context("cannot read the ledger")? {
        match args.format {
            Format::Jsonl => writeln!(out, "{}", serde_json::to_string(&record)?)?,
            Format::Csv => writeln!(out, "{}", csv_row(&record)?)?,
        }
        count += 1;
    }
    out.flush()?;
    store.close().await;
    eprintln!("exported {count} record(s)");
    Ok(ExitCode::SUCCESS)
}

const CSV_HEADER: [&str; 18] = [
    "id",
    "chain_id",
    "seq",
    "recorded_at",
    "recorded_at_ms",
    "expires_at_ms",
    "site",
    "revision",
    "language",
    "action",
    "categories",
    "services",
    "previous_receipt",
    "gpc",
    "ip_prefix",
    "ua_family",
    "prev_hash",
    "hash",
];

fn csv_row(r: &ConsentRecord) -> anyhow::Result<String> {
    let recorded_at =
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(r.recorded_at_ms) * 1_000_000)
            .ok()
            .and_then(|at| at.format(&Rfc3339).ok())
            .unwrap_or_default();
    let fields = [
        r.id.clone(),
        r.chain_id.clone(),
        r.seq.to_string(),
        recorded_at,
        r.recorded_at_ms.to_string(),
        r.expires_at_ms.to_string(),
        r.choice.site.clone(),
        r.choice.revision.clone(),
        r.choice.language.to_string(),
        r.choice.action.to_string(),
        serde_json::to_string(&r.choice.categories)?,
        serde_json::to_string(&r.choice.services)?,
        r.choice.previous_receipt.clone().unwrap_or_default(),
        r.choice.gpc.to_string(),
        r.context.ip_prefix.clone().unwrap_or_default(),
        r.context.ua_family.clone(),
        r.prev_hash.clone(),
        r.hash.clone(),
    ];
    Ok(kapsel_publish::csv::row(fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_rfc3339_and_errors_name_the_input() {
        assert_eq!(parse_instant("2026-01-01T00:00:00Z"), Ok(1_767_225_600_000));
        assert_eq!(
            parse_instant("2026-01-01T01:00:00+01:00"),
            Ok(1_767_225_600_000)
        );
        let err = parse_instant("2026-01-01").unwrap_err();
        assert!(
            err.contains("\"2026-01-01\" is not an RFC 3339 instant"),
            "{err}"
        );
    }
}
