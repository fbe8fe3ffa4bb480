//! The `kapsel` binary: parses the command line and hands each subcommand to its module in
//! `cmd/`; the settings of this installation are `settings/`. Nothing else lives here; each
//! subcommand owns its flags and its runtime.

mod cmd;
mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kapsel",
    version,
    about = "Makes a website's privacy and cookie policy true, and provable."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate privacy files; print every problem with file:line:column, or each site's revision.
    Check(cmd::check::CheckArgs),
    /// Crawl a site with real Chromium in every consent phase and report violations.
    Scan(cmd::scan::ScanArgs),
    /// Serve the consent API, the banner and the generated documents.
    Serve(cmd::serve::ServeArgs),
    /// Apply the database migrations and exit.
    Migrate(cmd::migrate::MigrateArgs),
    /// Verify or export the consent ledger.
    Ledger(cmd::ledger::LedgerArgs),
    /// List, write (.eml), send or test the outgoing mail in the store's outbox.
    Outbox(cmd::outbox::OutboxArgs),
    /// The consent gate's trace (what left for one receipt, and why), dead letters, replay.
    Gate(cmd::gate::GateArgs),
    /// The data-subject requests: list, show, and act on them (verify, extend, run, complete…).
    Requests(cmd::requests::RequestsArgs),
    /// Run the privacy file's retention rules, preview them, list their records, hold data.
    Retention(cmd::retention::RetentionArgs),
    /// Check that the privacy file's datasets are reachable and match their declaration.
    Datasets(cmd::datasets::DatasetsArgs),
    /// Export the cookie declaration of a site (HTML page, fragment, JSON, Markdown).
    Declaration(cmd::declaration::DeclarationArgs),
    /// Export the privacy notice of a site (HTML, JSON, Markdown).
    Notice(cmd::notice::NoticeArgs),
    /// Export the record of processing activities (CSV, JSON, HTML).
    Ropa(cmd::ropa::RopaArgs),
    /// What changed for visitors between two privacy files.
    Diff(cmd::diff::DiffArgs),
    /// Load the cookie catalogue (built-in + Open Cookie Database), report counts, look names up.
    Catalogue(cmd::catalogue::CatalogueArgs),
    /// Check declared cookies against the catalogue and propose entries for undeclared ones.
    Suggest(cmd::suggest::SuggestArgs),
    /// The console's accounts: add, passwd, disable, enable, totp, list.
    User(cmd::user::UserArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => cmd::check::run(args),
        Command::Scan(args) => cmd::scan::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Migrate(args) => cmd::migrate::run(args),
        Command::Ledger(args) => cmd::ledger::run(args),
        Command::Outbox(args) => cmd::outbox::run(args),
        Command::Gate(args) => cmd::gate::run(args),
        Command::Requests(args) => cmd::requests::run(args),
        Command::Retention(args) => cmd::retention::run(args),
        Command::Datasets(args) => cmd::datasets::run(args),
        Command::Declaration(args) => cmd::declaration::run(args),
        Command::Notice(args) => cmd::notice::run(args),
        Command::Ropa(args) => cmd::ropa::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Catalogue(args) => cmd::catalogue::run(args),
        Command::Suggest(args) => cmd::suggest::run(args),
        Command::User(args) => cmd::user::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
