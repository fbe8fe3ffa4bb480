//! `kapsel check FILE...`: load and validate privacy files. Every problem goes to stderr as
//! `file:line:col: message` with a hint; a valid file prints one `FILE: ok (site … revision …)`
//! line per site on stdout. Warnings (a necessary service the catalogue knows as tracking, a
//! service in no processing activity) go to stderr as `file:line:col: warning: …` and do not fail
//! the check unless `--deny-warnings`. Exit code 0 when all are valid, 1 when any has problems,
//! 2 when any cannot be read.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use kapsel_core::catalogue::Catalogue;
use kapsel_core::privacy::{self, site_revision};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Privacy files to check (kapsel.toml).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Exit with 1 when a file has warnings too (for CI).
    #[arg(long)]
    pub deny_warnings: bool,
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let mut worst = 0u8;
    let catalogue = Catalogue::builtin();
    for path in &args.files {
        let name = path.display().to_string();
        let source = match std::fs::read_to_string(path) {
            Ok(source) => source,
            Err(error) => {
                eprintln!("{name}: cannot read the file: {error}");
                worst = worst.max(2);
                continue;
            }
        };
        match privacy::load(&source, &name) {
            Ok(file) => {
                let warnings = privacy::load::warnings_in(&source, &name, &file, &catalogue);
                for warning in &warnings {
                    eprintln!("{warning}");
                }
                if !warnings.is_empty() && args.deny_warnings {
                    worst = worst.max(1);
                }
                for site in &file.sites {
                    let revision = site_revision(&file, &site.id)
                        .map_or_else(|| "?".to_owned(), |revision| revision.to_string());
                    println!("{name}: ok (site {} revision {revision})", site.id);
                }
            }
            Err(problems) => {
                eprintln!("{problems}");
                let count = problems.len();
                eprintln!(
                    "{name}: {count} problem{}",
                    if count == 1 { "" } else { "s" }
                );
                worst = worst.max(1);
            }
        }
    }
    Ok(ExitCode::from(worst))
}
