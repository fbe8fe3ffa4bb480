//! `kapsel diff OLD.toml NEW.toml`: what changed for visitors between two privacy files, per
//! site, in plain sentences (the same the change-log page shows), or `--json`. A reformatted
//! file reports no changes. Exit code 0 either way, or with `--exit-code` 1 when anything changed
//! (for CI); an error when a file cannot be loaded.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use kapsel_publish::diff;

use super::declaration::{check_site, load_file, pick_lang};

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The privacy file before.
    pub old: PathBuf,
    /// The privacy file after.
    pub new: PathBuf,
    /// Only this site (default: every site of the new file).
    #[arg(long)]
    pub site: Option<String>,
    /// Language of the sentences (default: the new file's first).
    #[arg(long)]
    pub lang: Option<String>,
    /// Print the changes as JSON instead of sentences.
    #[arg(long)]
    pub json: bool,
    /// Exit with 1 when there are changes, 0 when there are none (as `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,
}

pub fn run(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let old = load_file(&args.old)?;
    let new = load_file(&args.new)?;
    let lang = pick_lang(&new, args.lang.as_deref())?;
    let sites: Vec<String> = match &args.site {
        Some(site) => {
            check_site(&new, site)?;
            vec![site.clone()]
        }
        None => new.sites.iter().map(|s| s.id.clone()).collect(),
    };
    let mut report = serde_json::Map::new();
    let mut changed = false;
    for site in &sites {
        let changes = diff(&old, &new, site);
        changed |= !changes.is_empty();
        if args.json {
            report.insert(site.clone(), serde_json::to_value(&changes)?);
            continue;
        }
        println!("{site}:");
        if changes.is_empty() {
            println!("  {}", kapsel_publish::words::label(&lang, "no_changes"));
        }
        for change in &changes {
            println!("  - {}", change.sentence(&lang));
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(if changed && args.exit_code {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
