//! `kapsel notice export`: the privacy notice (GDPR art. 13/14) of one site in one language as
//! an HTML page, JSON or Markdown.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use kapsel_publish::render::PageKind;
use kapsel_publish::{Page, Publisher, privacy_notice};

use super::declaration::{DocumentArgs, check_site, load_file, pick_lang, write_output};

#[derive(Debug, Args)]
pub struct NoticeArgs {
    #[command(subcommand)]
    pub action: NoticeAction,
}

#[derive(Debug, Subcommand)]
pub enum NoticeAction {
    /// Write the privacy notice of one site.
    Export(NoticeExportArgs),
}

#[derive(Debug, Args)]
pub struct NoticeExportArgs {
    #[command(flatten)]
    pub document: DocumentArgs,
    /// Site id from the privacy file's [[sites]].
    #[arg(long)]
    pub site: String,
    #[arg(long, value_enum, default_value_t = NoticeFormat::Html)]
    pub format: NoticeFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NoticeFormat {
    Html,
    Json,
    Md,
}

pub fn run(args: NoticeArgs) -> anyhow::Result<ExitCode> {
    let NoticeAction::Export(args) = args.action;
    let file = load_file(&args.document.config)?;
    check_site(&file, &args.site)?;
    let lang = pick_lang(&file, args.document.lang.as_deref())?;
    let doc = privacy_notice(&file, &args.site, &lang)?;
    let page = Page::new(&file, &args.site, &lang, PageKind::Privacy, None);
    let publisher = Publisher::new();
    let text = match args.format {
        NoticeFormat::Html => publisher.notice_page(&doc, &page)?,
        NoticeFormat::Json => serde_json::to_string_pretty(&doc)? + "\n",
        NoticeFormat::Md => publisher.notice_markdown(&doc, &page)?,
    };
    write_output(args.document.out.as_deref(), &text)
}
