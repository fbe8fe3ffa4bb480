//! The `kapsel` binary: parses the command line and hands each subcommand to its module in
//! `cmd/`. Nothing else lives here; each subcommand owns its flags and its runtime.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "kapsel", version, about = "Makes a website's privacy and cookie policy true, and provable.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate privacy files; print every problem with file:line:column, or each site's revision.
    Check(cmd::check::CheckArgs),
    /// Serve the consent API, the banner and the generated documents.
    Serve(cmd::serve::ServeArgs),
    /// Apply the database migrations and exit.
    Migrate(cmd::migrate::MigrateArgs),
    /// Verify or export the consent ledger.
    Ledger(cmd::ledger::LedgerArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => cmd::check::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Migrate(args) => cmd::migrate::run(args),
        Command::Ledger(args) => cmd::ledger::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
