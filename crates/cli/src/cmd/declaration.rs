//! `kapsel declaration export`: the cookie declaration of one site in one language as a full
//! HTML page, an embeddable HTML fragment, JSON or Markdown, to stdout or `--out FILE`.
//! Also home of the small helpers the other document commands share (loading the privacy file
//! with the same report `kapsel check` prints, picking the language, writing the output).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use kapsel_core::Lang;
use kapsel_core::privacy::{self, PrivacyFile};
use kapsel_publish::render::PageKind;
use kapsel_publish::{Page, Publisher, cookie_declaration};

#[derive(Debug, Args)]
pub struct DeclarationArgs {
    #[command(subcommand)]
    pub action: DeclarationAction,
}

#[derive(Debug, Subcommand)]
pub enum DeclarationAction {
    /// Write the cookie declaration of one site.
    Export(DeclarationExportArgs),
}

/// The flags every document export shares.
#[derive(Debug, Args)]
pub struct DocumentArgs {
    /// The privacy file (kapsel.toml).
    #[arg(long, env = "KAPSEL_CONFIG")]
    pub config: PathBuf,
    /// Language: one the privacy file declares (default: its first).
    #[arg(long)]
    pub lang: Option<String>,
    /// Write here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DeclarationExportArgs {
    #[command(flatten)]
    pub document: DocumentArgs,
    /// Site id from the privacy file's [[sites]].
    #[arg(long)]
    pub site: String,
    #[arg(long, value_enum, default_value_t = DeclarationFormat::Html)]
    pub format: DeclarationFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DeclarationFormat {
    Html,
    /// HTML without <html>/<head>, class names prefixed `kapsel-`, for the operator's own page.
    Fragment,
    Json,
    Md,
}

/// Loads and validates a privacy file; problems are reported like `kapsel check` does.
pub(crate) fn load_file(path: &Path) -> anyhow::Result<PrivacyFile> {
    let name = path.display().to_string();
    let source = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
    match privacy::load(&source, &name) {
        Ok(file) => Ok(file),
        Err(problems) => bail!(
            "{problems}\n{name}: {} problem(s); fix them first (`kapsel check {name}`)",
            problems.len()
        ),
    }
}

/// The `--lang` value, or the file's first language.
pub(crate) fn pick_lang(file: &PrivacyFile, lang: Option<&str>) -> anyhow::Result<Lang> {
    match lang {
        None => file
            .languages
            .first()
            .cloned()
            .context("the privacy file declares no language"),
        Some(tag) => match file.declared_language(Lang::new(tag).as_str()) {
            Some(lang) => Ok(lang.clone()),
            None => bail!(
                "--lang {tag}: unknown language; the privacy file declares {}",
                file.language_list()
            ),
        },
    }
}

pub(crate) fn check_site(file: &PrivacyFile, site: &str) -> anyhow::Result<()> {
    if file.site(site).is_none() {
        let known = file
            .sites
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        bail!("--site {site}: unknown site; the privacy file declares {known}");
    }
    Ok(())
}

/// Writes to `--out` or stdout.
pub(crate) fn write_output(out: Option<&Path>, text: &str) -> anyhow::Result<ExitCode> {
    match out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(args: DeclarationArgs) -> anyhow::Result<ExitCode> {
    let DeclarationAction::Export(args) = args.action;
    let file = load_file(&args.document.config)?;
    check_site(&file, &args.site)?;
    let lang = pick_lang(&file, args.document.lang.as_deref())?;
    let doc = cookie_declaration(&file, &args.site, &lang)?;
    let page = Page::new(&file, &args.site, &lang, PageKind::Cookies, None);
    let publisher = Publisher::new();
    let text = match args.format {
        DeclarationFormat::Html => publisher.declaration_page(&doc, &page)?,
        DeclarationFormat::Fragment => publisher.declaration_fragment(&doc, &page)?,
        DeclarationFormat::Json => serde_json::to_string_pretty(&doc)? + "\n",
        DeclarationFormat::Md => publisher.declaration_markdown(&doc, &page)?,
    };
    write_output(args.document.out.as_deref(), &text)
}
