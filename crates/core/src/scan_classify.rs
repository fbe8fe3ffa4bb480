//! Judging what the scanner saw: each finding is classified (declared in the privacy file, known
//! to the catalogue, or unknown) and the violations are derived from the classified findings.
//!
//! Pure: the scanner records findings in a browser, this module decides what they mean, so every
//! rule is testable without a browser. Rules (see `docs/scanner.md`):
//! - a cookie or storage key that needs consent, present before any choice;
//! - a cookie, storage key or request that needs consent, after "reject all";
//! - a request to a tracking host (declared in a non-necessary service, or known to the
//!   catalogue as analytics/marketing) before any choice;
//! - a cookie or storage key the privacy file does not declare;
//! - a cookie living longer than declared, beyond [`EXPIRY_TOLERANCE_PERCENT`] (at least
//!   [`EXPIRY_TOLERANCE_MIN_MS`]): browsers and servers round expiry, and a cookie read a
//!   moment after it was set has already lost a little of its life;
//! - a declared service of which nothing (no cookie, storage key or host) was seen on any page
//!   in any phase (stale). Single entries of a service that was seen are only listed in
//!   `unseen_entries`: many are conditional (`_fbc` needs an ad click), and a crawl of a few
//!   pages cannot prove them absent.

use std::collections::BTreeMap;

use self::wording::{class_words, describe, evidence};
use crate::catalogue::Catalogue;
use crate::clock::Millis;
use crate::privacy::{Duration, PrivacyFile, Service, StorageKind};
use crate::scan_report::{
    Classification, Finding, PageResult, Phase, StorageArea, Violation, ViolationKind,
};

/// A cookie may live this many percent longer than declared before it is a violation …
pub const EXPIRY_TOLERANCE_PERCENT: i64 = 5;
/// … and at least this much longer (one hour), whatever the declared duration.
pub const EXPIRY_TOLERANCE_MIN_MS: Millis = 60 * 60 * 1000;

/// What the classifier concluded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Judgement {
    pub violations: Vec<Violation>,
    /// Checks that could not run, with the reason.
    pub skipped_checks: Vec<String>,
    /// Declared entries not seen, of services that were seen otherwise (informational).
    pub unseen_entries: Vec<String>,
}

/// The privacy file and the site the findings are judged against.
#[derive(Debug, Clone, Copy)]
pub struct Declaration<'a> {
    pub file: &'a PrivacyFile,
    pub site: &'a str,
}

/// Sets every finding's classification and derives the violations. Without a declaration only
/// the consent rules run, on what the catalogue knows (an auditor scanning someone else's site).
pub fn classify(
    pages: &mut [PageResult],
    declaration: Option<Declaration<'_>>,
    catalogue: &Catalogue,
) -> Judgement {
    let services = declaration
        .map(|d| d.file.services_for_site(d.site))
        .unwrap_or_default();
    for page in pages.iter_mut() {
        for phase in &mut page.phases {
            for finding in &mut phase.findings {
                let class = classify_finding(finding, &services, catalogue);
                set_classification(finding, class);
            }
        }
    }
    let mut found = Found::default();
    for page in pages.iter() {
        for phase in &page.phases {
            for finding in &phase.findings {
                judge_finding(
                    &mut found,
                    &page.url,
                    phase.phase,
                    finding,
                    declaration.is_some(),
                    &services,
                );
            }
        }
    }
    let mut judgement = Judgement {
        violations: found.into_violations(),
        skipped_checks: Vec::new(),
        unseen_entries: Vec::new(),
    };
    match declaration {
        None => judgement.skipped_checks.push(
            "undeclared, expiry and stale-declaration checks: no privacy file given".to_owned(),
        ),
        Some(_) => {
            stale::stale_declarations(pages, &services, &mut judgement);
            necessary::necessary_but_tracking(pages, &services, catalogue, &mut judgement);
        }
    }
    judgement
}

/// The classification of one finding against the site's services and the catalogue.
pub fn classify_finding(
    finding: &Finding,
    services: &[&Service],
    catalogue: &Catalogue,
) -> Classification {
    let declared = match finding {
        Finding::Cookie(cookie) => declared_entry(services, StorageKind::Cookie, &cookie.name),
        Finding::Storage(storage) => {
            declared_entry(services, storage_kind(storage.storage), &storage.key)
        }
        Finding::Request(request) => services
            .iter()
            .find(|service| service.hosts.iter().any(|h| host_matches(&request.host, h)))
            .copied(),
    };
    if let Some(service) = declared {
        return Classification::Declared {
            service: service.id.clone(),
            category: service.category.clone(),
        };
    }
    let known = match finding {
        Finding::Cookie(cookie) => catalogue
            .lookup(&cookie.name)
            .map(|k| (&k.provider, k.category)),
        Finding::Storage(storage) => catalogue
            .lookup(&storage.key)
            .map(|k| (&k.provider, k.category)),
        Finding::Request(request) => catalogue
            .lookup_host(&request.host)
            .map(|k| (&k.provider, k.category)),
    };
    match known {
        Some((provider, category)) => Classification::Known {
            provider: provider.clone(),
            category: category.as_str().to_owned(),
        },
        None => Classification::Unknown,
    }
}

fn set_classification(finding: &mut Finding, class: Classification) {
    match finding {
        Finding::Cookie(c) => c.classification = class,
        Finding::Storage(s) => s.classification = class,
        Finding::Request(r) => r.classification = class,
    }
}

fn storage_kind(area: StorageArea) -> StorageKind {
    match area {
        StorageArea::LocalStorage => StorageKind::LocalStorage,
        StorageArea::SessionStorage => StorageKind::SessionStorage,
        StorageArea::IndexedDb => StorageKind::IndexedDb,
    }
}

/// The service declaring a cookie or storage key of this kind and name (exact or prefix).
fn declared_entry<'a>(
    services: &[&'a Service],
    kind: StorageKind,
    name: &str,
) -> Option<&'a Service> {
    services.iter().copied().find(|service| {
        service
            .cookies
            .iter()
            .any(|c| c.kind == kind && name_matches(name, &c.name, c.prefix))
    })
}

fn name_matches(found: &str, declared: &str, prefix: bool) -> bool {
    if prefix {
        found.starts_with(declared)
    } else {
        found == declared
    }
}

/// `host` is `declared` or one of its subdomains; a leading `*.` or `.` in `declared` is ignored.
pub fn host_matches(host: &str, declared: &str) -> bool {
    let declared = declared
        .trim_start_matches("*.")
        .trim_start_matches('.')
        .to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    host == declared
        || host
            .strip_suffix(&declared)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// The site (registrable domain, approximated) of a host: an IP address or `localhost` is its
/// own site; otherwise the last two labels. Without the Public Suffix List, `a.co.uk` and
/// `b.co.uk` count as one site — the scanner errs towards calling a request first-party.
pub fn site_of(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let is_ip = host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[');
    if is_ip {
        return host;
    }
    let labels: Vec<&str> = host.split('.').collect();
    match labels.len() {
        0..=2 => host.clone(),
        n => labels
            .get(n - 2..)
            .map(|l| l.join("."))
            .unwrap_or(host.clone()),
    }
}

/// Violations collected so far, deduplicated by kind, subject and (for consent rules) phase.
#[derive(Default)]
struct Found {
    by_key: BTreeMap<(ViolationKind, String, Option<Phase>), Violation>,
    order: Vec<(ViolationKind, String, Option<Phase>)>,
}

impl Found {
    fn add(&mut self, violation: Violation, key_phase: Option<Phase>) {
        let key = (violation.kind, violation.subject.clone(), key_phase);
        match self.by_key.get_mut(&key) {
            Some(existing) => {
                if existing.page != violation.page {
                    existing.pages_seen += 1;
                }
            }
            None => {
                self.order.push(key.clone());
                self.by_key.insert(key, violation);
            }
        }
    }

    fn into_violations(mut self) -> Vec<Violation> {
        self.order
            .iter()
            .filter_map(|key| self.by_key.remove(key))
            .collect()
    }
}

fn judge_finding(
    found: &mut Found,
    page: &str,
    phase: Phase,
    finding: &Finding,
    declared_file: bool,
    services: &[&Service],
) {
    let class = finding.classification();
    let what = describe(finding);
    let evidence = evidence(finding);
    let violation = |kind, detail: String| Violation {
        kind,
        page: Some(page.to_owned()),
        phase: Some(phase),
        subject: finding.subject().to_owned(),
        evidence: evidence.clone(),
        detail,
        pages_seen: 1,
    };
    let is_request = matches!(finding, Finding::Request(_));
    if class.needs_consent() {
        match phase {
            Phase::BeforeChoice if is_request => found.add(
                violation(
                    ViolationKind::TrackingRequestBeforeChoice,
                    format!(
                        "{what} ({}) was requested before the visitor made a choice",
                        class_words(class)
                    ),
                ),
                Some(phase),
            ),
            Phase::BeforeChoice => found.add(
                violation(
                    ViolationKind::NonNecessaryBeforeChoice,
                    format!(
                        "{what} ({}) was stored before the visitor made a choice",
                        class_words(class)
                    ),
                ),
                Some(phase),
            ),
            Phase::AfterReject => found.add(
                violation(
                    ViolationKind::NonNecessaryAfterReject,
                    format!(
                        "{what} ({}) was present after the visitor rejected all",
                        class_words(class)
                    ),
                ),
                Some(phase),
            ),
            Phase::AfterAccept => {}
        }
    }
    if !declared_file || is_request {
        return;
    }
    if !class.is_declared() {
        let known = match class {
            Classification::Known { provider, category } => {
                format!("; the catalogue knows it: {provider}, {category}")
            }
            _ => String::new(),
        };
        found.add(
            violation(
                ViolationKind::Undeclared,
                format!("{what} is not declared in the privacy file{known}"),
            ),
            None,
        );
        return;
    }
    if let Finding::Cookie(cookie) = finding
        && let Some(declared) = declared_duration(services, &cookie.name)
        && let Some(detail) = expiry_excess(declared, cookie.lifetime_ms)
    {
        found.add(
            violation(
                ViolationKind::ExpiryLongerThanDeclared,
                format!("{what}: {detail}"),
            ),
            None,
        );
    }
}

/// The declared duration of a cookie, when it parses.
fn declared_duration(services: &[&Service], name: &str) -> Option<(Duration, String)> {
    services
        .iter()
        .flat_map(|s| s.cookies.iter())
        .find_map(|c| {
            let matches = c.kind == StorageKind::Cookie && name_matches(name, &c.name, c.prefix);
            matches
                .then(|| {
                    Duration::parse(&c.duration)
                        .ok()
                        .map(|d| (d, c.duration.clone()))
                })
                .flatten()
        })
}

/// Why a cookie with `lifetime_ms` left (`None` = session cookie) outlives its declaration.
pub fn expiry_excess(
    (declared, written): (Duration, String),
    lifetime_ms: Option<Millis>,
) -> Option<String> {
    let lifetime = lifetime_ms?;
    let days = |ms: Millis| ms as f64 / 86_400_000.0;
    match declared {
        Duration::Persistent => None,
        Duration::Session => Some(format!(
            "declared as a session cookie, but it is kept for {:.1} days",
            days(lifetime)
        )),
        Duration::Span { .. } => {
            let declared_ms = declared.to_millis()?;
            let tolerance =
                (declared_ms / 100 * EXPIRY_TOLERANCE_PERCENT).max(EXPIRY_TOLERANCE_MIN_MS);
            (lifetime > declared_ms.saturating_add(tolerance)).then(|| {
                format!(
                    "declared \"{written}\" ({:.1} days), but it expires after {:.1} days",
                    days(declared_ms),
                    days(lifetime)
                )
            })
        }
    }
}

mod necessary;
mod stale;
mod wording;

#[cfg(test)]
#[path = "scan_classify_tests.rs"]
mod tests;
