//! `kapsel check FILE...`: load and validate privacy files. Every problem goes to stderr as
//! `file:line:col: message` with a hint; a valid file prints one `FILE: ok (site … revision …)`
//! line per site on stdout. Exit code 0 when all are valid, 1 when any has problems, 2 when any
//! cannot be read.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use kapsel_core::privacy::{self, site_revision};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Privacy files to check (kapsel.toml).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let mut worst = 0u8;
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
