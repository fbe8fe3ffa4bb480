//! `kapsel ropa export`: the record of processing activities (GDPR art. 30(1)) for the
//! authority, as CSV, JSON or a print-friendly HTML page.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use kapsel_publish::render::PageKind;
use kapsel_publish::{Page, Publisher, record_of_processing};

use super::declaration::{DocumentArgs, load_file, pick_lang, write_output};

#[derive(Debug, Args)]
pub struct RopaArgs {
    #[command(subcommand)]
    pub action: RopaAction,
}

#[derive(Debug, Subcommand)]
pub enum RopaAction {
    /// Write the record of processing activities.
    Export(RopaExportArgs),
}

#[derive(Debug, Args)]
pub struct RopaExportArgs {
    #[command(flatten)]
    pub document: DocumentArgs,
    #[arg(long, value_enum, default_value_t = RopaFormat::Csv)]
    pub format: RopaFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RopaFormat {
    Csv,
    Json,
    Html,
}

pub fn run(args: RopaArgs) -> anyhow::Result<ExitCode> {
    let RopaAction::Export(args) = args.action;
    let file = load_file(&args.document.config)?;
    let lang = pick_lang(&file, args.document.lang.as_deref())?;
    let record = record_of_processing(&file, &lang)?;
    let text = match args.format {
        RopaFormat::Csv => record.to_csv(),
        RopaFormat::Json => serde_json::to_string_pretty(&record)? + "\n",
        RopaFormat::Html => {
            let site = file.sites.first().map_or("", |s| s.id.as_str());
            let page = Page::new(&file, site, &lang, PageKind::Ropa, None);
            Publisher::new().ropa_page(&record, &page)?
        }
    };
    write_output(args.document.out.as_deref(), &text)
}
