//! `kapsel ledger`: the proof an authority asks for.
//!
//! - `verify` checks every chain in the database, or with `--file` an export on its own, and
//!   with `--checkpoint FILE|URL` against a checkpoint an outsider kept (`verify`);
//! - `export` writes records as JSONL or CSV, filtered by site and time, ending with a signed
//!   trailer (`export`, `evidence`);
//! - `repair` appends a signed acknowledgement of records missing from a chain's end, and
//!   never rewrites anything (`repair`);
//! - `prune` removes each chain's prefix of records no longer needed as proof and seals it
//!   with a signed note that `verify` starts from (`prune`, `seals`);
//! - `keygen` prints a new signing key for `[signing] key`.

mod evidence;
mod export;
mod prune;
mod repair;
mod seals;
mod verify;
mod verify_file;
pub(crate) mod when;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use super::migrate::{StoreArgs, runtime};
use super::print::instant;

#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Prove that no record was changed, reordered or removed, chain by chain.
    Verify(VerifyArgs),
    /// Write records as JSONL or CSV, filtered by site and time, with a signed trailer.
    Export(ExportArgs),
    /// Append a signed record of records missing from a chain's end (never rewrites).
    Repair(RepairArgs),
    /// Remove each chain's oldest records no longer needed as proof ([ledger] proof_period),
    /// sealed by a signed note that verify starts from.
    Prune(PruneArgs),
    /// Print a new signing key (for [signing] key or KAPSEL_SIGNING__KEY) and its public key.
    Keygen(KeygenArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Verify an export (JSONL; CSV for completeness only) instead of the database.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// A checkpoint (signed note) kept earlier, as a file or a URL such as
    /// https://consent.example/v1/checkpoints/CHAIN; may be given more than once.
    #[arg(long)]
    pub checkpoint: Vec<String>,
    /// The public keys to trust: the JSON of /.well-known/kapsel/keys or verifier keys one per
    /// line, as a file or a URL. Default: beside a checkpoint URL, else the evidence's own.
    #[arg(long)]
    pub keys: Option<String>,
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
    /// Only records made at or after this: a date (2026-12-01, from its start in Europe/Oslo)
    /// or an RFC 3339 instant (2026-12-01T00:00:00Z).
    #[arg(long, value_parser = when::parse_since)]
    pub since: Option<i64>,
    /// Only records made before this: a date (2026-12-31, up to its end in Europe/Oslo) or an
    /// RFC 3339 instant (exclusive).
    #[arg(long, value_parser = when::parse_until)]
    pub until: Option<i64>,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Only this chain (default: every chain whose end was cut).
    #[arg(long)]
    pub chain: Option<String>,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Say what would be removed, per chain, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The key's name: part of its key id and of checkpoint origins (e.g. the public host).
    #[arg(long, default_value = kapsel_core::signing::DEFAULT_KEY_NAME)]
    pub name: String,
}

pub fn run(args: LedgerArgs) -> anyhow::Result<ExitCode> {
    let runtime = runtime()?;
    match args.command {
        LedgerCommand::Verify(args) => runtime.block_on(verify::run(args)),
        LedgerCommand::Export(args) => runtime.block_on(export::run(args)),
        LedgerCommand::Repair(args) => runtime.block_on(repair::run(args)),
        LedgerCommand::Prune(args) => runtime.block_on(prune::run(args)),
        LedgerCommand::Keygen(args) => keygen(&args),
    }
}

fn keygen(args: &KeygenArgs) -> anyhow::Result<ExitCode> {
    let key = kapsel_core::signing::SigningKey::generate(&args.name, &kapsel_core::OsRandom)?;
    println!("{}", key.private_text()?.expose());
    eprintln!("public (verifier) key: {}", key.public().verifier_key());
    Ok(ExitCode::SUCCESS)
}

/// Exit 0 when nothing is broken.
fn exit(broken: usize) -> ExitCode {
    if broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
