//! The server's shared state, built once at start: the privacy file and what is derived from it
//! (each site's current and known revisions, CORS domains, consent lifetimes), the store and its
//! ledger writer, the rate limiter, metrics, and the admin token.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use kapsel_core::consent::Lifetimes;
use kapsel_core::privacy::PrivacyFile;
use kapsel_store::{Ledger, Store};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::config::AdminToken;
use crate::ratelimit::RateLimiter;

/// Cheap to clone: everything is behind one `Arc`.
#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What every handler may read.
pub struct Shared {
    pub privacy: Arc<PrivacyFile>,
    pub sites: HashMap<String, SiteState>,
    /// Every site's declared domains, lower-cased: the origins CORS allows.
    pub cors_domains: HashSet<String>,
    pub lifetimes: Lifetimes,
    pub store: Store,
    pub ledger: Ledger,
    pub chain_id: String,
    pub limiter: RateLimiter,
    pub metrics: PrometheusHandle,
    pub admin_token: Option<AdminToken>,
    pub trust_proxy: bool,
    pub body_limit: usize,
}

/// Per site: its revision now and those published before (a visitor may still have an older
/// banner cached).
pub struct SiteState {
    pub current_revision: String,
    pub domains: Vec<String>,
    known_revisions: RwLock<HashSet<String>>,
}

impl SiteState {
    pub fn new(current_revision: String, domains: Vec<String>, known: HashSet<String>) -> Self {
        SiteState {
            current_revision,
            domains,
            known_revisions: RwLock::new(known),
        }
    }

    /// Whether `revision` is the current one or one published earlier.
    pub fn knows(&self, revision: &str) -> bool {
        revision == self.current_revision
            || match self.known_revisions.read() {
                Ok(known) => known.contains(revision),
                Err(poisoned) => poisoned.into_inner().contains(revision),
            }
    }
}
