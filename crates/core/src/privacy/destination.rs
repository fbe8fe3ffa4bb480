//! `[[destinations]]`: where the consent gate forwards analytics and ad events, and what each
//! destination needs before it may receive one. Credentials (GA4's API secret, Meta's access
//! token, a webhook's signing secret, a Segment write key) live in the settings under
//! `[destinations.ID]`, never here. `[gate]`: facts about the events themselves.

use serde::{Deserialize, Serialize};

/// One destination.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Destination {
    pub id: String,
    pub kind: DestinationKind,
    /// Consent categories the destination needs, all of them (Segment's semantics);
    /// `["necessary"]` for one that gets every event (an own data warehouse, say).
    pub categories: Vec<String>,
    /// The `[[activities]]` this forwarding serves: an objection or restriction the request desk
    /// records for a subject and this activity stops the subject's events.
    #[serde(default)]
    pub activity: Option<String>,
    /// The sites whose events go here; every site when empty.
    #[serde(default)]
    pub sites: Vec<String>,
    /// The fields of an event this destination gets, as dotted paths (`properties.revenue`,
    /// `context.page.url`, `traits`); the envelope (type, messageId, timestamp, event, name,
    /// category) always goes. Everything else is dropped before the event is stored.
    pub fields: Vec<String>,
}

/// The adapters the gate has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DestinationKind {
    /// Any HTTPS endpoint: a JSON batch, HMAC-SHA256-signed.
    Webhook,
    /// Google Analytics 4, Measurement Protocol.
    Ga4,
    /// Meta Conversions API.
    Meta,
    /// Another collector speaking Segment's HTTP Tracking API.
    Segment,
}

impl DestinationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationKind::Webhook => "webhook",
            DestinationKind::Ga4 => "ga4",
            DestinationKind::Meta => "meta",
            DestinationKind::Segment => "segment",
        }
    }

    /// The credentials `[destinations.ID]` must give for this kind.
    pub fn credentials(self) -> &'static [&'static str] {
        match self {
            DestinationKind::Webhook => &["secret"],
            DestinationKind::Ga4 => &["measurement_id", "api_secret"],
            DestinationKind::Meta => &["pixel_id", "access_token"],
            DestinationKind::Segment => &["write_key"],
        }
    }
}

/// `[gate]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct GateFacts {
    /// Which `[[identifiers]]` id the events' `userId` is (`customer-number`), so that the
    /// desk's objections, keyed by that identifier, find the subject's events. Without it only
    /// `traits.email` and `context.traits.email` are matched (as `email`).
    #[serde(default)]
    pub user_id: Option<String>,
}

impl Destination {
    /// Whether events of `site` go here.
    pub fn serves(&self, site: &str) -> bool {
        self.sites.is_empty() || self.sites.iter().any(|s| s == site)
    }
}
