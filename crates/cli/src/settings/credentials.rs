//! The sections for the coming request desk, retention engine and consent gate, typed now so
//! that their keys are checked like every other: `[jobs]` (no keys yet; `[mail]` has its own
//! module, `mail`),
//! `[connectors.NAME]` (the operator's databases and systems) and `[destinations.NAME]` (where
//! events go). The privacy file names a connector or destination; its credentials live only
//! here or in the environment, never in `kapsel.toml`, which is hashed and published.

use std::collections::BTreeMap;

use kapsel_core::Secret;
use serde::{Deserialize, Serialize};

/// `[jobs]`: background work. Retention: how often the server runs the privacy file's
/// `[[retention]]` rules and how a run proceeds (`kapsel retention run` uses the same).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsSettings {
    /// Minutes between the server's retention rounds; 0 runs none (only `kapsel retention run`).
    pub retention_minutes: u64,
    /// Rows per batch, each batch one transaction in the operator's database.
    pub retention_batch_rows: u64,
    /// Milliseconds to pause between batches, leaving the table to other writers.
    pub retention_pause_ms: u64,
    /// The largest share of a table (0–1) one run may delete or change without `--confirm`;
    /// the server never confirms, so a rule over it waits for a person.
    pub retention_max_share: f64,
    /// At most this many batches per rule in one server round: after downtime the backlog is
    /// worked off round by round.
    pub retention_round_batches: u64,
    /// Seconds a rule's lease lasts unless renewed (after every batch): how long a crashed run
    /// keeps other instances, or the next `kapsel retention run`, from taking the rule over.
    pub retention_lease_seconds: u64,
}

impl Default for JobsSettings {
    fn default() -> JobsSettings {
        JobsSettings {
            retention_minutes: 60,
            retention_batch_rows: 10_000,
            retention_pause_ms: 0,
            retention_max_share: 0.5,
            retention_round_batches: 100,
            retention_lease_seconds: 120,
        }
    }
}

impl JobsSettings {
    /// Every `[jobs]` rule, each error naming its key.
    pub fn check(&self) -> anyhow::Result<()> {
        if !(1..=1_000_000).contains(&self.retention_batch_rows) {
            anyhow::bail!("[jobs] retention_batch_rows must be between 1 and 1000000");
        }
        if !(self.retention_max_share > 0.0 && self.retention_max_share <= 1.0) {
            anyhow::bail!("[jobs] retention_max_share must be more than 0 and at most 1");
        }
        if self.retention_pause_ms > 60_000 {
            anyhow::bail!("[jobs] retention_pause_ms must be at most 60000 (a minute)");
        }
        if !(1..=3600).contains(&self.retention_lease_seconds) {
            anyhow::bail!("[jobs] retention_lease_seconds must be between 1 and 3600");
        }
        if self.retention_round_batches == 0 {
            anyhow::bail!("[jobs] retention_round_batches must be at least 1");
        }
        Ok(())
    }
}

/// `[connectors.NAME]`: one of the operator's databases or systems.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorSettings {
    /// How to reach it, credentials included: `postgres://user:password@host/db`,
    /// `mysql://…`, `sqlite:///path`, or a webhook's `https://…` URL.
    pub url: Secret,
    /// A webhook's signing secret: requests carry `X-Kapsel-Signature`, an HMAC-SHA256 under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Secret>,
}

/// `[destinations.NAME]`: where events or exports are delivered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DestinationSettings {
    /// The endpoint: a webhook's URL (required), or another than the API's public one for GA4
    /// (`…/mp/collect`), Meta (`…/v21.0`) or a Segment-compatible collector.
    pub url: Option<String>,
    /// Named secrets the destination needs: a webhook's `secret`; GA4's `measurement_id` and
    /// `api_secret`; Meta's `pixel_id` and `access_token`; a collector's `write_key`.
    pub credentials: BTreeMap<String, Secret>,
}
