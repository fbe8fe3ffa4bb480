//! `kapsel catalogue [--ocd PATH] [--lookup NAME]... [--host HOST]...`: loads the project's own
//! catalogue and, beside it, the Open Cookie Database CSV from the path the operator gives
//! (never bundled), reports how many entries each holds, and looks names and hosts up.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use kapsel_core::catalogue::{Catalogue, CatalogueCounts, KnownCookie};

#[derive(Debug, Args)]
pub struct CatalogueArgs {
    /// The Open Cookie Database CSV (open-cookie-database.csv).
    #[arg(long, env = "KAPSEL_OCD")]
    pub ocd: Option<PathBuf>,
    /// Look up a cookie or storage key name (repeatable).
    #[arg(long)]
    pub lookup: Vec<String>,
    /// Look up a host name (repeatable).
    #[arg(long)]
    pub host: Vec<String>,
}

/// The built-in catalogue merged with the database at `ocd` (built-in entries win).
pub(crate) fn load_catalogue(
    ocd: Option<&Path>,
) -> anyhow::Result<(Catalogue, Option<CatalogueCounts>)> {
    let builtin = Catalogue::builtin();
    let Some(path) = ocd else {
        return Ok((builtin, None));
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --ocd {}", path.display()))?;
    let database = Catalogue::from_open_cookie_database_csv(&text)
        .with_context(|| format!("--ocd {}", path.display()))?;
    let counts = database.counts();
    Ok((builtin.merge(database), Some(counts)))
}

pub(crate) fn describe(cookie: &KnownCookie) -> String {
    let name = if cookie.prefix {
        format!("{}* (prefix)", cookie.name)
    } else {
        cookie.name.clone()
    };
    format!(
        "{name}: {} ({}), {}, {}{} [{:?}]",
        cookie.platform,
        cookie.provider,
        cookie.category.as_str(),
        cookie.retention,
        cookie
            .domain
            .as_ref()
            .map_or_else(String::new, |d| format!(", set on {d}")),
        cookie.source,
    )
}

fn print_counts(label: &str, counts: &CatalogueCounts) {
    let by_category = counts
        .by_category
        .iter()
        .map(|(category, n)| format!("{} {n}", category.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "{label}: {} entries ({} exact names, {} prefixes), {} hosts; {by_category}",
        counts.cookies, counts.exact, counts.prefixes, counts.hosts
    );
}

pub fn run(args: CatalogueArgs) -> anyhow::Result<ExitCode> {
    let (catalogue, database) = load_catalogue(args.ocd.as_deref())?;
    print_counts("built-in", &Catalogue::builtin().counts());
    if let Some(counts) = &database {
        print_counts("open cookie database", counts);
    }
    print_counts("merged", &catalogue.counts());
    let mut missing = false;
    for name in &args.lookup {
        match catalogue.lookup(name) {
            Some(cookie) => println!("{}", describe(cookie)),
            None => {
                missing = true;
                println!("{name}: not in the catalogue");
            }
        }
    }
    for host in &args.host {
        match catalogue.lookup_host(host) {
            Some(known) => println!(
                "{host}: {} ({}), {} [{:?}, matched {}]",
                known.platform,
                known.provider,
                known.category.as_str(),
                known.source,
                known.host
            ),
            None => {
                missing = true;
                println!("{host}: not in the catalogue");
            }
        }
    }
    Ok(if missing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
