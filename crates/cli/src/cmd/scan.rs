//! `kapsel scan URL…`: crawls a site with real Chromium in every consent phase and reports what
//! it stored and sent, judged against the privacy file (when given) and the cookie catalogue.
//!
//! stdout carries only machine output (`--suggest` entries, or the JSON report with `--out -`);
//! the progress indicator and the summary go to stderr. Exit code 1 when `--fail-on` says so,
//! 2 when no page could be scanned at all (nothing was checked, so nothing can be said).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use kapsel_core::SystemClock;
use kapsel_core::catalogue::Catalogue;
use kapsel_core::privacy::PrivacyFile;
use kapsel_core::scan_classify::{Declaration, EXPIRY_TOLERANCE_MIN_MS, EXPIRY_TOLERANCE_PERCENT};
use kapsel_core::scan_report::{Finding, Report, StorageArea, ViolationKind};
use kapsel_scan::{Progress, ScanOptions};
use url::Url;

use super::catalogue::load_catalogue;
use super::declaration::load_file;

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Where the crawl starts (same-origin links are followed).
    #[arg(required = true)]
    pub urls: Vec<String>,
    /// The privacy file to judge the findings against; without it only consent rules run.
    #[arg(long, env = "KAPSEL_CONFIG")]
    pub config: Option<PathBuf>,
    /// The site in the privacy file; by default the one whose domains contain the URL's host.
    #[arg(long)]
    pub site: Option<String>,
    /// At most this many pages.
    #[arg(long, default_value_t = 20)]
    pub pages: usize,
    /// Also visit the pages listed in /sitemap.xml.
    #[arg(long)]
    pub sitemap: bool,
    /// Skip what /robots.txt disallows.
    #[arg(long)]
    pub robots: bool,
    /// Start no new page after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub time_budget: u64,
    /// The Open Cookie Database CSV, beside the built-in catalogue.
    #[arg(long, env = "KAPSEL_OCD")]
    pub ocd: Option<PathBuf>,
    /// Write the JSON report here (`-` for stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write a readable HTML report here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// What makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Violations)]
    pub fail_on: FailOn,
    /// Print `[[services.cookies]]` entries for undeclared findings on stdout.
    #[arg(long)]
    pub suggest: bool,
    /// Pages scanned at the same time (each uses up to three tabs).
    #[arg(long, default_value_t = 3)]
    pub concurrency: usize,
    /// Only observe "before any choice", even where a Kapsel banner could be driven.
    #[arg(long)]
    pub no_choices: bool,
    /// The server's `[scan] token`: sent as `Kapsel-Scan` on the banner's consent requests only,
    /// so the choices the scan drives are not recorded as visitors' choices.
    #[arg(long, env = "KAPSEL_SCAN__TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// After the scan, send the report to the Kapsel server at this URL
    /// (`https://consent.example.no`), which keeps it for the console; needs --config and a site.
    #[arg(long)]
    pub upload: Option<Url>,
    /// The server's admin token, for --upload.
    #[arg(long, env = "KAPSEL_ADMIN__TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// The Chromium executable.
    #[arg(long, env = "KAPSEL_CHROMIUM", default_value = kapsel_scan::browser::DEFAULT_CHROMIUM)]
    pub chromium: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any violation.
    Violations,
    /// Only undeclared cookies and storage.
    Undeclared,
    /// Never (report only).
    None,
}

pub fn run(args: ScanArgs) -> anyhow::Result<ExitCode> {
    let urls = args
        .urls
        .iter()
        .map(|u| Url::parse(u).with_context(|| format!("URL {u:?} is not an absolute http(s) URL")))
        .collect::<anyhow::Result<Vec<Url>>>()?;
    if let Some(bad) = urls
        .iter()
        .find(|u| !matches!(u.scheme(), "http" | "https"))
    {
        bail!("URL {bad} is not http or https");
    }
    let file = args.config.as_deref().map(load_file).transpose()?;
    let site = match &file {
        Some(file) => Some(pick_site(file, args.site.as_deref(), &urls)?),
        None if args.site.is_some() => {
            bail!("--site needs --config (the privacy file that declares it)")
        }
        None => None,
    };
    if args.upload.is_some() && (site.is_none() || args.admin_token.is_none()) {
        bail!(
            "--upload needs --config with the site scanned, and --admin-token (KAPSEL_ADMIN__TOKEN)"
        );
    }
    let (catalogue, _) = load_catalogue(args.ocd.as_deref())?;
    let mut options = ScanOptions::new(urls, Arc::new(SystemClock));
    options.max_pages = args.pages.max(1);
    options.time_budget = Duration::from_secs(args.time_budget);
    options.sitemap = args.sitemap;
    options.robots = args.robots;
    options.drive_choices = !args.no_choices;
    options.concurrency = args.concurrency.max(1);
    options.chromium = args.chromium.clone();
    options.scan_token = args.token.as_deref().and_then(kapsel_core::Secret::new);

    let declaration = file
        .as_ref()
        .zip(site.as_deref())
        .map(|(file, site)| Declaration { file, site });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let progress = |p: &Progress| eprintln!("[{}/{}] {}", p.done, p.queued.max(p.done), p.url);
    let report = runtime.block_on(kapsel_scan::scan(
        &options,
        declaration,
        &catalogue,
        &progress,
    ))?;

    if let Some(out) = &args.out {
        let json = serde_json::to_string_pretty(&report)?;
        if out.as_os_str() == "-" {
            println!("{json}");
        } else {
            std::fs::write(out, json + "\n")
                .with_context(|| format!("cannot write --out {}", out.display()))?;
        }
    }
    if let Some(html) = &args.html {
        std::fs::write(html, kapsel_scan::html::render(&report))
            .with_context(|| format!("cannot write --html {}", html.display()))?;
    }
    if let (Some(server), Some(token)) = (&args.upload, &args.admin_token) {
        runtime.block_on(upload(server, token, &report))?;
    }
    eprint!("{}", summary(&report));
    if args.suggest {
        print!("{}", suggestions(&report, &catalogue));
    }
    if report.pages.iter().all(|p| p.error.is_some()) {
        return Ok(ExitCode::from(2));
    }
    let failing = match args.fail_on {
        FailOn::Violations => report.violations.len(),
        FailOn::Undeclared => report.violations_of(ViolationKind::Undeclared).count(),
        FailOn::None => 0,
    };
    Ok(if failing > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Sends `report` to the server's `POST /v1/admin/scans`.
async fn upload(
    server: &Url,
    token: &str,
    report: &kapsel_core::scan_report::Report,
) -> anyhow::Result<()> {
    let url = server
        .join("/v1/admin/scans")
        .context("--upload: not a base URL")?;
    let response = reqwest::Client::new()
        .post(url.clone())
        .bearer_auth(token)
        .json(report)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .with_context(|| format!("--upload: cannot reach {url}"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("--upload: {url} answered {status}: {body}");
    }
    eprintln!("uploaded the report to {url}");
    Ok(())
}

/// `--site`, or the only site, or the site whose domains contain the first URL's host.
fn pick_site(file: &PrivacyFile, wanted: Option<&str>, urls: &[Url]) -> anyhow::Result<String> {
    let ids = || {
        file.sites
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(wanted) = wanted {
        return match file.site(wanted) {
            Some(site) => Ok(site.id.clone()),
            None => bail!(
                "--site {wanted}: no such site in the privacy file (sites: {})",
                ids()
            ),
        };
    }
    if let [only] = file.sites.as_slice() {
        return Ok(only.id.clone());
    }
    let host = urls.first().and_then(Url::host_str).unwrap_or_default();
    match file
        .sites
        .iter()
        .find(|s| s.domains.iter().any(|d| d.eq_ignore_ascii_case(host)))
    {
        Some(site) => Ok(site.id.clone()),
        None => bail!(
            "no site in the privacy file lists the domain {host}; choose one with --site ({})",
            ids()
        ),
    }
}

/// What the terminal shows at the end.
pub fn summary(report: &Report) -> String {
    let findings = report.findings().count();
    let not_driven = report
        .pages
        .iter()
        .flat_map(|p| &p.phases)
        .filter(|p| p.not_driven.is_some())
        .count();
    let mut out = format!(
        "\nScanned {} page(s) with {}: {findings} finding(s), {not_driven} phase(s) not driven.\n",
        report.pages.len(),
        report.browser
    );
    for page in report.pages.iter().filter(|p| p.error.is_some()) {
        out += &format!(
            "  could not scan {}: {}\n",
            page.url,
            page.error.as_deref().unwrap_or_default()
        );
    }
    for note in report.skipped_checks.iter().chain(&report.limits_reached) {
        out += &format!("  note: {note}\n");
    }
    let failed = report.pages.iter().filter(|p| p.error.is_some()).count();
    let scanned = report.pages.len() - failed;
    if scanned == 0 {
        out += "No page could be scanned, so nothing was checked.\n";
        return out;
    }
    if report.violations.is_empty() {
        out += &match failed {
            0 => "No violations.\n".to_owned(),
            _ => format!(
                "No violations on the {scanned} page(s) that could be scanned; {failed} could not be.\n"
            ),
        };
        return out;
    }
    out += &format!("{} violation(s):\n", report.violations.len());
    for v in &report.violations {
        let place = match (&v.page, v.phase) {
            (Some(page), Some(phase)) => format!("{page} [{}]", phase.as_str()),
            _ => "declaration".to_owned(),
        };
        out += &format!(
            "  {:<31} {}\n      {}\n      evidence: {}\n",
            v.kind.as_str(),
            place,
            v.detail,
            v.evidence
        );
    }
    out
}

/// Privacy-file entries for every undeclared cookie and storage key, with what was observed. A
/// name the catalogue knows by its prefix (`_hjSessionUser_123`) is proposed as that prefix
/// (`_hjSessionUser_`, `prefix = true`), once.
pub fn suggestions(report: &Report, catalogue: &Catalogue) -> String {
    let mut seen = BTreeSet::new();
    let mut out = String::new();
    for (page, phase, finding) in report.findings() {
        if finding.classification().is_declared() {
            continue;
        }
        let (kind, name, party, duration, domain) = match finding {
            Finding::Cookie(c) => (
                "cookie",
                &c.name,
                c.party,
                observed_duration(c.lifetime_ms),
                Some(c.domain.trim_start_matches('.')),
            ),
            Finding::Storage(s) => {
                let (kind, duration) = match s.storage {
                    StorageArea::LocalStorage => ("local_storage", "persistent".to_owned()),
                    StorageArea::SessionStorage => ("session_storage", "session".to_owned()),
                    StorageArea::IndexedDb => ("indexed_db", "persistent".to_owned()),
                };
                (kind, &s.key, s.party, duration, None)
            }
            Finding::Request(_) => continue,
        };
        let (entry_name, by_prefix) = entry_name(name, catalogue);
        if !seen.insert((kind, entry_name.clone())) {
            continue;
        }
        let known = match finding.classification() {
            kapsel_core::scan_report::Classification::Known { provider, category } => {
                format!("the catalogue knows it: {provider}, category `{category}`")
            }
            _ => "not in the catalogue: find out who sets it".to_owned(),
        };
        let quoted = |s: &str| serde_json::to_string(s).unwrap_or_default();
        out += &format!(
            "# {name}: seen on {page} ({}); {known}. Put it under the service that sets it.\n",
            phase.as_str()
        );
        out += &format!("[[services.cookies]]\nname = {}\n", quoted(&entry_name));
        if by_prefix {
            out += "prefix = true\n";
        }
        if kind != "cookie" {
            out += &format!("kind = \"{kind}\"\n");
        }
        let third = party == kapsel_core::privacy::Party::Third;
        out += &format!("party = \"{}\"\n", if third { "third" } else { "first" });
        if let (true, Some(domain)) = (third, domain) {
            out += &format!("domain = {}\n", quoted(domain));
        }
        out += &format!("duration = \"{duration}\"\n\n");
    }
    out
}

/// The name to declare for `name` seen on a site: the catalogue's prefix when it knows the name
/// by one (`_hjSessionUser_123` → `_hjSessionUser_`, true), else the name itself.
fn entry_name(name: &str, catalogue: &Catalogue) -> (String, bool) {
    match catalogue.lookup(name) {
        Some(known) if known.prefix && name != known.name => (known.name.clone(), true),
        _ => (name.to_owned(), false),
    }
}

/// A lifetime as the privacy file writes it: the nearest whole unit, or one more when the
/// nearest would fall short of what was observed beyond the scanner's expiry tolerance.
fn observed_duration(lifetime_ms: Option<i64>) -> String {
    let Some(ms) = lifetime_ms else {
        return "session".to_owned();
    };
    let ms = ms.max(1);
    let (minute, hour, day) = (60_000_i64, 3_600_000_i64, 86_400_000_i64);
    let month = 2_629_800_000_i64;
    let (unit_ms, unit) = match ms {
        ms if ms < hour => (minute, "minute"),
        ms if ms < 2 * day => (hour, "hour"),
        ms if ms < 60 * day => (day, "day"),
        ms if ms < 24 * month => (month, "month"),
        _ => (12 * month, "year"),
    };
    let mut count = ((ms + unit_ms / 2) / unit_ms).max(1);
    let allowed = |count: i64| {
        let declared = count * unit_ms;
        declared + (declared / 100 * EXPIRY_TOLERANCE_PERCENT).max(EXPIRY_TOLERANCE_MIN_MS)
    };
    if allowed(count) < ms {
        count += 1;
    }
    format!("{count} {unit}{}", if count == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::{entry_name, observed_duration};
    use kapsel_core::catalogue::Catalogue;

    #[test]
    fn a_name_the_catalogue_knows_by_its_prefix_is_proposed_as_the_prefix() {
        let catalogue = Catalogue::builtin();
        assert_eq!(
            entry_name("_hjSessionUser_123", &catalogue),
            ("_hjSessionUser_".to_owned(), true)
        );
        assert_eq!(
            entry_name("_ga_ABC123", &catalogue),
            ("_ga_".to_owned(), true)
        );
        assert_eq!(entry_name("_ga", &catalogue), ("_ga".to_owned(), false));
        assert_eq!(
            entry_name("unknown_x", &catalogue),
            ("unknown_x".to_owned(), false)
        );
    }

    #[test]
    fn observed_lifetimes_round_to_a_unit_the_expiry_check_accepts() {
        assert_eq!(observed_duration(None), "session");
        assert_eq!(observed_duration(Some(30 * 60_000 - 5_000)), "30 minutes");
        assert_eq!(observed_duration(Some(86_400_000)), "24 hours");
        assert_eq!(observed_duration(Some(30 * 86_400_000 - 1000)), "30 days");
        assert_eq!(observed_duration(Some(400 * 86_400_000)), "13 months");
        assert_eq!(
            observed_duration(Some(2 * 86_400_000 + 40_000_000)),
            "3 days"
        );
        assert_eq!(observed_duration(Some(2 * 31_557_600_000)), "2 years");
    }
}
