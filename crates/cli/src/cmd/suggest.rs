//! `kapsel suggest --config FILE [--ocd PATH] [--cookie NAME]...`: checks the declared cookies
//! against the catalogue and proposes what to write.
//!
//! - A declared cookie duration that disagrees with the catalogue's by more than 10 % (or session
//!   vs persistent vs fixed) is flagged (storage keys are not: the catalogue's lifetimes are
//!   cookies').
//! - A cookie declared in `necessary`, or in a category not marked `marketing`, that the
//!   catalogue knows as analytics or marketing is flagged.
//! - Each `--cookie NAME` (a name a scan found, not yet declared) gets a proposed
//!   `[[services.cookies]]` entry with provider, category and duration from the catalogue.
//!
//! - The warnings of `kapsel check` (a necessary service the catalogue knows as tracking, a
//!   service in no processing activity) are flags too.
//!
//! A flag the operator has reviewed is acknowledged in the privacy file with the reason:
//! `acknowledge.duration` / `acknowledge.category` on the cookie, `acknowledge.necessary` /
//! `acknowledge.activity` on the service. Acknowledged flags are counted, not printed.
//!
//! Exit code 1 when anything was flagged, so CI can stop on it; 0 otherwise.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use kapsel_core::catalogue::{KnownCategory, KnownCookie};
use kapsel_core::privacy::{Duration, NECESSARY, PrivacyFile, StorageKind, warnings};

use super::catalogue::{describe, load_catalogue};
use super::declaration::load_file;

#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// The privacy file (kapsel.toml).
    #[arg(long, env = "KAPSEL_CONFIG")]
    pub config: PathBuf,
    /// The Open Cookie Database CSV, beside the built-in catalogue.
    #[arg(long, env = "KAPSEL_OCD")]
    pub ocd: Option<PathBuf>,
    /// A cookie name seen on the site but not declared (repeatable): propose an entry.
    #[arg(long)]
    pub cookie: Vec<String>,
}

/// Milliseconds, or a marker for session/persistent.
fn lifetime_ms(duration: &Duration) -> Result<i64, &'static str> {
    match duration {
        Duration::Session => Err("session"),
        Duration::Persistent => Err("persistent"),
        span => span.to_millis().ok_or("too long"),
    }
}

/// Whether two lifetimes disagree: different kinds, or fixed periods more than 10 % apart.
fn durations_disagree(declared: &Duration, known: &Duration) -> bool {
    match (lifetime_ms(declared), lifetime_ms(known)) {
        (Ok(a), Ok(b)) => {
            let (low, high) = (a.min(b), a.max(b));
            high.saturating_mul(10) > low.saturating_mul(11)
        }
        (a, b) => a != b,
    }
}

fn category_problem(file: &PrivacyFile, category_id: &str, known: &KnownCookie) -> Option<String> {
    let tracking = matches!(
        known.category,
        KnownCategory::Analytics | KnownCategory::Marketing
    );
    if category_id == NECESSARY && tracking {
        return Some(format!(
            "declared necessary, but the catalogue knows it as {}: it needs consent",
            known.category.as_str()
        ));
    }
    let marked_marketing = file.category(category_id).is_some_and(|c| c.marketing);
    if known.category == KnownCategory::Marketing && !marked_marketing {
        return Some(format!(
            "the catalogue knows it as marketing, but category `{category_id}` is not marked `marketing = true` (Global Privacy Control will not switch it off)"
        ));
    }
    None
}

fn proposal(name: &str, known: Option<&KnownCookie>) -> String {
    match known {
        None => {
            format!("# {name}: not in the catalogue; find out who sets it before declaring it\n")
        }
        Some(known) => {
            let duration = known.duration.map_or_else(
                || format!("\"?\"  # the catalogue says {:?}", known.retention),
                |d| format!("\"{d}\""),
            );
            let name_line = if known.prefix && name != known.name {
                format!("name = \"{}\"\nprefix = true", known.name)
            } else {
                format!("name = \"{name}\"")
            };
            let party = if known.third_party { "third" } else { "first" };
            let domain = known
                .domain
                .as_ref()
                .map_or_else(String::new, |d| format!("domain = \"{d}\"\n"));
            format!(
                "# {name}: {} by {}; put it under a service in category `{}`\n[[services.cookies]]\n{name_line}\nparty = \"{party}\"\n{domain}duration = {duration}\n",
                known.platform,
                known.provider,
                known.category.as_str()
            )
        }
    }
}

pub fn run(args: SuggestArgs) -> anyhow::Result<ExitCode> {
    let file = load_file(&args.config)?;
    let (catalogue, _) = load_catalogue(args.ocd.as_deref())?;
    let mut flagged = 0usize;
    let mut checked = 0usize;
    let mut acknowledged = 0usize;
    for service in &file.services {
        for cookie in &service.cookies {
            let Some(known) = catalogue.lookup(&cookie.name) else {
                continue;
            };
            checked += 1;
            let place = format!("{} / {}", service.id, cookie.name);
            // The catalogue's lifetimes are those of cookies: a storage key of the same name
            // (Segment keeps `ajs_user_id` in both) has none to compare with.
            if let (StorageKind::Cookie, Ok(declared), Some(known_duration)) = (
                cookie.kind,
                Duration::parse(&cookie.duration),
                known.duration,
            ) && durations_disagree(&declared, &known_duration)
            {
                if cookie.acknowledge.duration.is_some() {
                    acknowledged += 1;
                } else {
                    flagged += 1;
                    println!(
                        "{place}: declared duration {declared}, the catalogue says {known_duration} ({}); fix it, or give the reason in acknowledge.duration = \"…\"",
                        describe(known)
                    );
                }
            }
            if let Some(problem) = category_problem(&file, &service.category, known) {
                if cookie.acknowledge.category.is_some() {
                    acknowledged += 1;
                } else {
                    flagged += 1;
                    println!(
                        "{place}: {problem}; fix it, or give the reason in acknowledge.category = \"…\""
                    );
                }
            }
        }
    }
    // The warnings of `kapsel check` (judged with this catalogue) count as flags here too.
    for warning in warnings::warnings(&file, &catalogue) {
        flagged += 1;
        println!("{}: {}", warning.path, warning.message);
    }
    for name in &args.cookie {
        print!("{}", proposal(name, catalogue.lookup(name)));
    }
    eprintln!(
        "{checked} declared cookies found in the catalogue; {flagged} flagged, {acknowledged} acknowledged"
    );
    Ok(if flagged > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kapsel_core::catalogue::parse_lifetime;

    fn parse(d: &str) -> Duration {
        Duration::parse(d).unwrap_or(Duration::Session)
    }

    #[test]
    fn durations_within_ten_percent_agree() {
        let known = |t: &str| parse_lifetime(t).unwrap_or(Duration::Persistent);
        assert!(!durations_disagree(&parse("2 years"), &known("730 days")));
        assert!(!durations_disagree(&parse("179 days"), &known("6 months")));
        assert!(durations_disagree(&parse("13 months"), &known("2 years")));
        assert!(durations_disagree(&parse("session"), &known("30 minutes")));
        assert!(!durations_disagree(&parse("session"), &known("Session")));
    }
}
