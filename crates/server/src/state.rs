//! The server's state, built once at start and split by feature: each feature's handlers take
//! only their own sub-state (`State<Arc<ConsentState>>`, …), reached from [`AppState`] through
//! `FromRef`. What several features read — the privacy file and each site's revisions — is
//! [`Sites`], shared by `Arc`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::FromRef;
use kapsel_core::consent::Lifetimes;
use kapsel_core::privacy::PrivacyFile;
use kapsel_core::{Clock, Random, Secret};
use kapsel_store::{Ledger, Store};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::banner::BannerScripts;
use crate::middleware::ratelimit::RateLimiter;

/// The privacy file and what the server derived from it per site.
pub struct Sites {
    pub privacy: Arc<PrivacyFile>,
    pub by_id: HashMap<String, SiteState>,
}

impl Sites {
    pub fn get(&self, site: &str) -> Option<&SiteState> {
        self.by_id.get(site)
    }

    /// The current revision of `site`, if it is declared.
    pub fn current_revision(&self, site: &str) -> Option<&str> {
        self.get(site).map(|s| s.current_revision.as_str())
    }
}

/// Per site: its revision now and those published before (a visitor may still have an older
/// banner cached).
pub struct SiteState {
    pub current_revision: String,
    pub domains: Vec<String>,
    known_revisions: HashSet<String>,
}

impl SiteState {
    pub fn new(current_revision: String, domains: Vec<String>, known: HashSet<String>) -> Self {
        SiteState {
            current_revision,
            domains,
            known_revisions: known,
        }
    }

    /// Whether `revision` is the current one or one published earlier.
    pub fn knows(&self, revision: &str) -> bool {
        revision == self.current_revision || self.known_revisions.contains(revision)
    }
}

/// The consent API's state: recording choices and reading receipts.
pub struct ConsentState {
    pub sites: Arc<Sites>,
    pub lifetimes: Lifetimes,
    pub ledger: Ledger,
    /// Read side of the ledger (receipts, previous receipts).
    pub records: Store,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub body_limit: usize,
    /// Signs receipts a batch at a time.
    pub signer: crate::consent::signer::ReceiptSigner,
    /// `[scan] token`: choices sent with it are answered but not recorded (`consent::scan`).
    pub scan_token: Option<kapsel_core::Secret>,
    /// The banner's view counters, added in group commits.
    pub views: crate::consent::views::ViewCounter,
}

/// The document pages' state: the sites and their kept revisions.
pub struct PagesState {
    pub sites: Arc<Sites>,
    pub revisions: Store,
}

/// What the public edge applies before any handler: who the client is and how often it may ask.
pub struct EdgeState {
    pub limiter: RateLimiter,
    /// The reverse proxies believed about the client's address.
    pub proxy: crate::config::ProxyTrust,
    /// Every site's declared domains, lower-cased: the origins CORS allows.
    pub cors_domains: HashSet<String>,
    /// Largest accepted request body, and how long it may take to arrive.
    pub body_limit: usize,
    pub body_timeout: std::time::Duration,
}

/// Health and metrics.
pub struct OpsState {
    pub metrics: PrometheusHandle,
    pub ledger: Ledger,
}

/// The admin API's credential (the bearer token), for the `AdminBearer` extractor.
pub struct AdminAuth(pub Option<Secret>);

/// Every feature's state; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub sites: Arc<Sites>,
    pub consent: Arc<ConsentState>,
    pub pages: Arc<PagesState>,
    pub banner: Arc<BannerScripts>,
    pub edge: Arc<EdgeState>,
    pub ops: Arc<OpsState>,
    pub admin: Arc<AdminAuth>,
    pub evidence: Arc<crate::evidence::EvidenceState>,
    pub desk: Arc<crate::desk::DeskState>,
    pub gate: Arc<crate::gate::GateState>,
    pub console: Arc<crate::console::ConsoleState>,
}

macro_rules! sub_state {
    ($($field:ident: $ty:ty),* $(,)?) => {
        $(impl FromRef<AppState> for Arc<$ty> {
            fn from_ref(state: &AppState) -> Arc<$ty> {
                state.$field.clone()
            }
        })*
    };
}

sub_state!(
    sites: Sites,
    consent: ConsentState,
    pages: PagesState,
    banner: BannerScripts,
    edge: EdgeState,
    ops: OpsState,
    admin: AdminAuth,
    evidence: crate::evidence::EvidenceState,
    desk: crate::desk::DeskState,
    gate: crate::gate::GateState,
    console: crate::console::ConsoleState,
);
