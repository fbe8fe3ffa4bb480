//! `kapsel datasets test FILE`: for each `[[datasets]]` entry of the privacy file, whether the
//! desk can use it here. A SQL dataset is connected to through its `[connectors.NAME]` URL and
//! every declared table and column is looked up in the live schema; identity columns that lead
//! no index are reported (a request would scan the table). A webhook dataset needs its
//! connector's URL; a manual one nothing. Each `[[retention]]` rule's columns must exist too, and
//! its timestamp column should lead an index (otherwise every batch scans the table). Exit code
//! 0 when every dataset and rule is usable, 1 when any is not.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use kapsel_connect::{Connection, check, check_rule};
use kapsel_core::privacy::Engine;

use super::declaration::load_file;
use super::migrate::{StoreArgs, runtime};

#[derive(Debug, Args)]
pub struct DatasetsArgs {
    #[command(subcommand)]
    pub command: DatasetsCommand,
}

#[derive(Debug, Subcommand)]
pub enum DatasetsCommand {
    /// Connect to every declared dataset and check its tables, columns and indexes.
    Test {
        /// The privacy file (kapsel.toml).
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: DatasetsArgs) -> anyhow::Result<ExitCode> {
    let DatasetsCommand::Test { file, store } = args.command;
    let privacy = load_file(&file)?;
    let settings = store.settings()?;
    if privacy.datasets.is_empty() {
        println!("{}: declares no [[datasets]]", file.display());
        return Ok(ExitCode::SUCCESS);
    }
    let runtime = runtime()?;
    let mut usable = true;
    for dataset in &privacy.datasets {
        let id = &dataset.id;
        if dataset.engine == Engine::Manual {
            println!("{id}: manual — a person carries out its instructions");
            continue;
        }
        let Some(connector) = settings.connectors.get(&dataset.connection) else {
            println!(
                "{id}: NOT USABLE — the settings have no [connectors.{}] url",
                dataset.connection
            );
            usable = false;
            continue;
        };
        if dataset.engine == Engine::Webhook {
            let signed = if connector.secret.is_some() {
                "signed"
            } else {
                "NOT signed (no secret)"
            };
            println!("{id}: webhook, requests {signed}");
            continue;
        }
        let report = runtime.block_on(async {
            let conn = Connection::open(connector.url.expose()).await?;
            check(dataset, &conn).await
        });
        match report {
            Err(error) => {
                println!("{id}: NOT USABLE — {}", error.without_secrets());
                usable = false;
            }
            Ok(report) => {
                let verdict = if report.is_usable() {
                    "ok"
                } else {
                    "NOT USABLE"
                };
                println!("{id}: {verdict} ({} tables)", dataset.tables.len());
                for table in &report.missing_tables {
                    println!("  missing table: {table}");
                }
                for column in &report.missing_columns {
                    println!("  missing column: {column}");
                }
                for column in &report.unindexed_identity {
                    println!(
                        "  no index leads with identity column {column}: each request scans the table"
                    );
                }
                usable &= report.is_usable();
            }
        }
    }
    for rule in &privacy.retention {
        let Some(dataset) = privacy.datasets.iter().find(|d| d.id == rule.dataset) else {
            continue;
        };
        let Some(connector) = settings.connectors.get(&dataset.connection) else {
            println!(
                "rule {}: NOT USABLE — the settings have no [connectors.{}] url",
                rule.id, dataset.connection
            );
            usable = false;
            continue;
        };
        let report = runtime.block_on(async {
            let conn = Connection::open(connector.url.expose()).await?;
            check_rule(dataset, rule, &conn).await
        });
        match report {
            Err(error) => {
                println!("rule {}: NOT USABLE — {}", rule.id, error.without_secrets());
                usable = false;
            }
            Ok(report) => {
                let verdict = if report.is_usable() {
                    "ok"
                } else {
                    "NOT USABLE"
                };
                println!("rule {}: {verdict} (table {})", rule.id, rule.table);
                if report.missing_table {
                    println!("  missing table: {}", rule.table);
                }
                for column in &report.missing_columns {
                    println!("  missing column: {column}");
                }
                if report.unindexed_timestamp {
                    println!(
                        "  no index leads with timestamp column {}.{}: each batch scans the table",
                        rule.table, rule.timestamp
                    );
                }
                usable &= report.is_usable();
            }
        }
    }
    Ok(if usable {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
