//! The scanner's report: what a real browser saw on each page in each consent phase, how every
//! finding was classified against the privacy file and the cookie catalogue, and the violations.
//!
//! Pure serde types, so the scanner writes them, the server can show them and tests can read
//! them. The JSON shape is a public contract documented in `docs/scanner.md`; `SCHEMA_VERSION`
//! changes when a field changes meaning or disappears. Driving the browser lives in `kapsel-scan`;
//! judging findings lives in [`crate::scan_classify`].

use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::privacy::Party;

/// Bumped when a field of the report changes meaning or is removed (adding fields does not).
pub const SCHEMA_VERSION: u32 = 1;

/// One scan of one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    /// `kapsel-scan <version>`.
    pub scanner: String,
    /// Browser product and version as reported by the browser.
    pub browser: String,
    pub started_at: Millis,
    pub finished_at: Millis,
    /// The URLs the crawl started from.
    pub start_urls: Vec<String>,
    /// The privacy-file site the findings were judged against, when one was given.
    pub site: Option<String>,
    pub pages: Vec<PageResult>,
    pub violations: Vec<Violation>,
    /// Checks that could not run, and why (no privacy file, a phase never driven, …).
    #[serde(default)]
    pub skipped_checks: Vec<String>,
    /// Limits that ended the crawl early (page count, time budget).
    #[serde(default)]
    pub limits_reached: Vec<String>,
    /// Declared entries not seen, of services that were otherwise seen: informational, since
    /// many entries are conditional and a crawl cannot prove them absent.
    #[serde(default)]
    pub unseen_declarations: Vec<String>,
}

impl Report {
    /// Violations of the given kind.
    pub fn violations_of(&self, kind: ViolationKind) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(move |v| v.kind == kind)
    }

    /// Every finding of every driven phase of every page, with where it was seen.
    pub fn findings(&self) -> impl Iterator<Item = (&str, Phase, &Finding)> {
        self.pages.iter().flat_map(|page| {
            page.phases.iter().flat_map(move |phase| {
                phase
                    .findings
                    .iter()
                    .map(move |finding| (page.url.as_str(), phase.phase, finding))
            })
        })
    }
}

/// One crawled page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageResult {
    pub url: String,
    /// Whether the Kapsel banner (`#kapsel-banner`) was found on the page.
    pub kapsel_banner: bool,
    /// Load error, when the page could not be loaded at all.
    #[serde(default)]
    pub error: Option<String>,
    pub phases: Vec<PhaseResult>,
}

/// The consent phases a page is visited in, each in a fresh browser profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Loaded with no prior choice; nothing but strictly necessary storage is allowed.
    BeforeChoice,
    /// After clicking "reject all" in the banner and loading the page again.
    AfterReject,
    /// After clicking "accept all" in the banner and loading the page again.
    AfterAccept,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::BeforeChoice, Phase::AfterReject, Phase::AfterAccept];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::BeforeChoice => "before_choice",
            Phase::AfterReject => "after_reject",
            Phase::AfterAccept => "after_accept",
        }
    }
}

/// What one phase of one page recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseResult {
    pub phase: Phase,
    /// Set when the phase could not be driven (no banner, a click that failed); then
    /// `findings` is empty.
    #[serde(default)]
    pub not_driven: Option<PhaseNotDriven>,
    #[serde(default)]
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseNotDriven {
    pub reason: String,
}

/// One thing the browser stored or sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    Cookie(CookieFinding),
    Storage(StorageFinding),
    Request(RequestFinding),
}

impl Finding {
    pub fn classification(&self) -> &Classification {
        match self {
            Finding::Cookie(c) => &c.classification,
            Finding::Storage(s) => &s.classification,
            Finding::Request(r) => &r.classification,
        }
    }

    /// The cookie name, storage key or request host.
    pub fn subject(&self) -> &str {
        match self {
            Finding::Cookie(c) => &c.name,
            Finding::Storage(s) => &s.key,
            Finding::Request(r) => &r.host,
        }
    }
}

/// A cookie present in the browser profile at the end of the phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CookieFinding {
    pub name: String,
    /// As the browser holds it: `.example.no` for domain cookies, `example.no` for host-only.
    pub domain: String,
    pub path: String,
    /// Expiry in ms since the epoch; `None` for a session cookie.
    pub expires: Option<Millis>,
    /// `expires` minus the time the cookie was read; `None` for a session cookie.
    pub lifetime_ms: Option<Millis>,
    pub http_only: bool,
    pub secure: bool,
    /// `Strict`, `Lax` or `None` when the cookie says.
    pub same_site: Option<String>,
    /// First party when the cookie's domain belongs to the page's site.
    pub party: Party,
    /// Who set it, when the browser told: a `Set-Cookie` response or a script.
    pub set_by: Option<SetBy>,
    pub classification: Classification,
}

/// Web storage or IndexedDB of one origin (the page's or an iframe's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageFinding {
    pub storage: StorageArea,
    /// `scheme://host:port` of the frame that holds it.
    pub origin: String,
    /// The key (web storage) or database name (IndexedDB).
    pub key: String,
    pub party: Party,
    pub set_by: Option<SetBy>,
    pub classification: Classification,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageArea {
    LocalStorage,
    SessionStorage,
    IndexedDb,
}

/// A request from the page to another site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestFinding {
    /// The URL without its query string and fragment.
    pub url: String,
    pub host: String,
    /// The browser's resource type: `Script`, `Image`, `Document` (an iframe), `XHR`, …
    pub resource_type: String,
    /// Names of cookies its response tried to set (`Set-Cookie`).
    pub set_cookies: Vec<String>,
    /// The script or document that caused the request, when the browser told.
    pub initiator: Option<String>,
    pub classification: Classification,
}

/// Evidence of who stored something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum SetBy {
    /// A `Set-Cookie` header on the response to `url`, requested by `initiator`.
    Response {
        url: String,
        initiator: Option<String>,
    },
    /// A script (`url` is the script, as the JavaScript stack told).
    Script { url: String },
}

impl SetBy {
    pub fn describe(&self) -> String {
        match self {
            SetBy::Response {
                url,
                initiator: Some(by),
            } => format!("Set-Cookie from {url} (requested by {by})"),
            SetBy::Response {
                url,
                initiator: None,
            } => format!("Set-Cookie from {url}"),
            SetBy::Script { url } => format!("script {url}"),
        }
    }
}

/// How a finding matched the privacy file and the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum Classification {
    /// Matches a cookie, storage key or host of a service in the privacy file.
    Declared { service: String, category: String },
    /// Not declared, but the catalogue knows it; `category` is `necessary`, `functional`,
    /// `analytics`, `marketing` or `unknown`.
    Known { provider: String, category: String },
    /// Neither declared nor known.
    #[default]
    Unknown,
}

impl Classification {
    /// Whether the finding needs consent: declared in a category other than `necessary`, or
    /// known to the catalogue as functional, analytics or marketing. Unknown findings are not
    /// judged here (they are undeclared, which is reported on its own).
    pub fn needs_consent(&self) -> bool {
        match self {
            Classification::Declared { category, .. } => category != crate::privacy::NECESSARY,
            Classification::Known { category, .. } => {
                matches!(category.as_str(), "functional" | "analytics" | "marketing")
            }
            Classification::Unknown => false,
        }
    }

    pub fn is_declared(&self) -> bool {
        matches!(self, Classification::Declared { .. })
    }
}

/// A way the site does not do what its privacy file says (or what the law asks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub kind: ViolationKind,
    /// The first page it was seen on; `None` for stale declarations.
    pub page: Option<String>,
    pub phase: Option<Phase>,
    /// The cookie name, storage key or request host concerned; the service id for stale
    /// declarations.
    pub subject: String,
    /// What the browser showed: who set it, which request, which script.
    pub evidence: String,
    /// A sentence for humans saying what is wrong.
    pub detail: String,
    /// On how many pages the same violation was seen.
    pub pages_seen: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// A cookie or storage key that needs consent was present before any choice.
    NonNecessaryBeforeChoice,
    /// A cookie, storage key or request that needs consent appeared after "reject all".
    NonNecessaryAfterReject,
    /// A request to a tracking host before any choice.
    TrackingRequestBeforeChoice,
    /// A cookie or storage key the privacy file does not declare.
    Undeclared,
    /// A cookie that lives longer than its declared duration (beyond the tolerance).
    ExpiryLongerThanDeclared,
    /// A declared service of which nothing was seen in any phase on any page.
    StaleDeclaration,
    /// A service declared necessary, seen on the site, that the catalogue knows as analytics or
    /// marketing (by a cookie or a host) and the file does not acknowledge as necessary.
    NecessaryButTracking,
}

impl ViolationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::NonNecessaryBeforeChoice => "non_necessary_before_choice",
            ViolationKind::NonNecessaryAfterReject => "non_necessary_after_reject",
            ViolationKind::TrackingRequestBeforeChoice => "tracking_request_before_choice",
            ViolationKind::Undeclared => "undeclared",
            ViolationKind::ExpiryLongerThanDeclared => "expiry_longer_than_declared",
            ViolationKind::StaleDeclaration => "stale_declaration",
            ViolationKind::NecessaryButTracking => "necessary_but_tracking",
        }
    }
}
