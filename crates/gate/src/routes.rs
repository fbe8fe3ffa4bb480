//! The gate's destinations at run time: each `[[destinations]]` entry with its adapter
//! (endpoint and credentials from the settings) and allow-list, and what ingest needs per site —
//! which destinations take a message, and the union of their allow-lists.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kapsel_core::gate::MessageType;
use kapsel_core::gate::minimise::AllowList;
use kapsel_core::privacy::{ConsentModeType, Destination, PrivacyFile, site_revision};
use sha2::{Digest, Sha256};

use crate::adapter::{Adapter, MissingCredential, Modes, adapter};

/// Where a destination is reached and with which credentials (from `[destinations.ID]`).
/// `Debug` names the credentials, never their values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    pub url: Option<String>,
    pub credentials: BTreeMap<String, String>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.url.as_ref().map(|_| "…"))
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// One destination, ready to deliver to.
pub struct Route {
    pub spec: Destination,
    pub adapter: Box<dyn Adapter>,
    pub allow: AllowList,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Route")
            .field("id", &self.spec.id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error(transparent)]
    Credential(#[from] MissingCredential),
    #[error("{key} names site `{site}`, which the privacy file does not declare")]
    UnknownSite { key: String, site: String },
    #[error(transparent)]
    JetStream(#[from] crate::jetstream::JetStreamError),
}

/// Every destination, and what ingest and the workers look up per site.
#[derive(Debug)]
pub struct Gate {
    pub routes: Vec<Arc<Route>>,
    privacy: Arc<PrivacyFile>,
    /// Each site's current revision: a receipt for another is stale.
    revisions: BTreeMap<String, String>,
    /// Per site, the union of the allow-lists of the destinations serving it.
    unions: BTreeMap<String, AllowList>,
}

impl Gate {
    /// The gate of `privacy`'s destinations, each with its endpoint from `endpoints`.
    pub fn new(
        privacy: Arc<PrivacyFile>,
        endpoints: &BTreeMap<String, Endpoint>,
    ) -> Result<Gate, GateError> {
        // Settings may serve several privacy files; one naming a destination this file does
        // not declare is most likely a typo, so it is said, but nothing is sent there.
        for id in endpoints
            .keys()
            .filter(|id| !privacy.destinations.iter().any(|d| &d.id == *id))
        {
            tracing::warn!(
                destination = %id,
                "[destinations.{id}] has settings, but the privacy file declares no such destination"
            );
        }
        let mut routes = Vec::new();
        for spec in &privacy.destinations {
            let endpoint = endpoints.get(&spec.id).cloned().unwrap_or_default();
            let adapter = adapter(
                &spec.id,
                spec.kind,
                endpoint.url.as_deref(),
                &endpoint.credentials,
            )?;
            routes.push(Arc::new(Route {
                allow: AllowList::new(&spec.fields),
                spec: spec.clone(),
                adapter,
            }));
        }
        let revisions = privacy
            .sites
            .iter()
            .filter_map(|site| {
                site_revision(&privacy, &site.id).map(|r| (site.id.clone(), r.as_str().to_owned()))
            })
            .collect();
        let unions = privacy
            .sites
            .iter()
            .map(|site| {
                let lists = routes
                    .iter()
                    .filter(|r| r.spec.serves(&site.id))
                    .map(|r| &r.allow);
                (site.id.clone(), AllowList::union(lists))
            })
            .collect();
        Ok(Gate {
            routes,
            privacy,
            revisions,
            unions,
        })
    }

    /// The destinations that take a message of `kind` from `site`.
    pub fn destinations_for(&self, site: &str, kind: MessageType) -> Vec<String> {
        self.routes
            .iter()
            .filter(|r| r.spec.serves(site) && r.adapter.accepts(kind))
            .map(|r| r.spec.id.clone())
            .collect()
    }

    /// The union allow-list of `site`'s destinations: what may be stored of its events.
    pub fn allow_list(&self, site: &str) -> AllowList {
        self.unions.get(site).cloned().unwrap_or_default()
    }

    /// `site`'s current revision.
    pub fn revision(&self, site: &str) -> &str {
        self.revisions.get(site).map_or("", String::as_str)
    }

    /// The Consent Mode signals that `granted` categories give: a type is granted where a
    /// service of a granted category declares it.
    pub fn modes(&self, granted: &BTreeSet<String>) -> Modes {
        let has = |wanted: ConsentModeType| {
            self.privacy
                .services
                .iter()
                .filter(|s| granted.contains(&s.category))
                .any(|s| s.consent_mode.contains(&wanted))
        };
        Modes {
            ad_user_data: has(ConsentModeType::AdUserData),
            ad_personalization: has(ConsentModeType::AdPersonalization),
        }
    }
}

/// The idempotency key of an event (`site`, `message_id`) at `destination`: the same on every
/// attempt and every instance, different per destination.
pub fn idempotency_key(site: &str, message_id: &str, destination: &str) -> String {
    let digest = Sha256::digest(format!("{destination}\n{site}\n{message_id}").as_bytes());
    let mut key = hex::encode(digest);
    key.truncate(32);
    key
}
