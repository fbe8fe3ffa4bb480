//! The sections for the coming request desk, retention engine and consent gate, typed now so
//! that their keys are checked like every other: `[jobs]` (no keys yet; `[mail]` has its own
//! module, `mail`),
//! `[connectors.NAME]` (the operator's databases and systems) and `[destinations.NAME]` (where
//! events go). The privacy file names a connector or destination; its credentials live only
//! here or in the environment, never in `kapsel.toml`, which is hashed and published.

use std::collections::BTreeMap;

use kapsel_core::Secret;
use serde::{Deserialize, Serialize};

/// `[jobs]`: background work (retention runs, mail, event delivery). Accepts no keys yet.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsSettings {}

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
    /// Named secrets the destination needs (`write_key`, `api_token`…).
    pub credentials: BTreeMap<String, Secret>,
}
