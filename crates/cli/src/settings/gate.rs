//! `[gate]`: the consent gate's write keys and delivery. Destinations themselves are declared in
//! the privacy file; their endpoints and credentials are `[destinations.ID]` (`credentials`).

use std::collections::BTreeMap;

use kapsel_core::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateSettings {
    /// Each site's write key, by site id (`[gate.write_keys] shop = "…"`): the HTTP Basic user
    /// of Segment's API. A site without one takes no events.
    pub write_keys: BTreeMap<String, Secret>,
    /// Sites whose events' `context.consent.categoryPreferences` (Segment's consent object) are
    /// believed when they carry no Kapsel receipt. Off for every site unless named.
    pub client_consent: Vec<String>,
    /// Events a worker takes per round.
    pub delivery_batch: i64,
    /// Requests in flight per destination.
    pub delivery_concurrency: usize,
    /// Attempts before an event is a dead letter.
    pub max_attempts: i64,
    /// The first retry's pause; it doubles per attempt up to `max_retry_seconds`.
    pub first_retry_ms: i64,
    pub max_retry_seconds: i64,
    /// Timeout of one request to a destination.
    pub timeout_seconds: u64,
    /// Where ingest commits events: `store` (next to the ledger; one instance or several on
    /// one PostgreSQL) or `jetstream` (NATS JetStream at `nats_url`, shared by instances).
    pub outbox: OutboxKind,
    pub nats_url: String,
    pub nats_stream: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxKind {
    #[default]
    Store,
    Jetstream,
}

impl Default for GateSettings {
    fn default() -> GateSettings {
        let delivery = kapsel_gate::DeliveryOptions::default();
        GateSettings {
            write_keys: BTreeMap::new(),
            client_consent: Vec::new(),
            delivery_batch: delivery.batch,
            delivery_concurrency: delivery.concurrency,
            max_attempts: delivery.max_attempts,
            first_retry_ms: delivery.first_retry_ms,
            max_retry_seconds: delivery.max_retry_ms / 1000,
            timeout_seconds: delivery.timeout.as_secs(),
            outbox: OutboxKind::Store,
            nats_url: "nats://127.0.0.1:4222".to_owned(),
            nats_stream: "KAPSEL_GATE".to_owned(),
        }
    }
}

impl GateSettings {
    /// Every `[gate]` rule, each error naming its key.
    pub fn check(&self) -> anyhow::Result<()> {
        if !(1..=10_000).contains(&self.delivery_batch) {
            anyhow::bail!("[gate] delivery_batch must be between 1 and 10000");
        }
        if !(1..=256).contains(&self.delivery_concurrency) {
            anyhow::bail!("[gate] delivery_concurrency must be between 1 and 256");
        }
        if !(1..=100).contains(&self.max_attempts) {
            anyhow::bail!("[gate] max_attempts must be between 1 and 100");
        }
        if !(1..=3_600_000).contains(&self.first_retry_ms) {
            anyhow::bail!("[gate] first_retry_ms must be between 1 and 3600000");
        }
        if !(1..=86_400).contains(&self.max_retry_seconds) {
            anyhow::bail!("[gate] max_retry_seconds must be between 1 and 86400 (a day)");
        }
        if !(1..=300).contains(&self.timeout_seconds) {
            anyhow::bail!("[gate] timeout_seconds must be between 1 and 300");
        }
        let plain = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if self.nats_stream.is_empty() || !self.nats_stream.chars().all(plain) {
            anyhow::bail!("[gate] nats_stream may only hold letters, digits, `_` and `-`");
        }
        if let Some((site, _)) = self.write_keys.iter().find(|(_, k)| k.expose().len() < 8) {
            anyhow::bail!("[gate.write_keys] {site} must be at least 8 characters");
        }
        Ok(())
    }

    /// The JetStream outbox's (URL, stream), when it is selected.
    pub fn jetstream(&self) -> Option<(String, String)> {
        (self.outbox == OutboxKind::Jetstream)
            .then(|| (self.nats_url.clone(), self.nats_stream.clone()))
    }

    pub fn delivery(&self) -> kapsel_gate::DeliveryOptions {
        kapsel_gate::DeliveryOptions {
            batch: self.delivery_batch,
            concurrency: self.delivery_concurrency,
            max_attempts: self.max_attempts,
            first_retry_ms: self.first_retry_ms,
            max_retry_ms: self.max_retry_seconds.saturating_mul(1000),
            timeout: std::time::Duration::from_secs(self.timeout_seconds),
            ..kapsel_gate::DeliveryOptions::default()
        }
    }
}
