//! `[desk]`: how the request desk runs here — how long the verification link and the access
//! bundle last, and the key of its keyed hashes (erased `keyed_hash` fields, the suppression
//! list). The key is a secret: set it by `KAPSEL_DESK__KEY` or in a settings file only the
//! server reads, and keep it: a new key makes new hashes, which no longer match the old ones.

use std::time::Duration;

use kapsel_core::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeskSettings {
    /// Minutes the one-time verification link works.
    pub verify_minutes: u64,
    /// Days an access bundle can be downloaded before it is deleted.
    pub bundle_days: u64,
    /// The HMAC key of keyed hashes (at least 32 characters).
    pub key: Option<Secret>,
}

impl Default for DeskSettings {
    fn default() -> DeskSettings {
        DeskSettings {
            verify_minutes: 30,
            bundle_days: 7,
            key: None,
        }
    }
}

impl DeskSettings {
    /// Every `[desk]` rule, each error naming its key.
    pub fn check(&self) -> anyhow::Result<()> {
        if !(5..=24 * 60).contains(&self.verify_minutes) {
            anyhow::bail!("[desk] verify_minutes must be between 5 and 1440 (minutes)");
        }
        if !(1..=90).contains(&self.bundle_days) {
            anyhow::bail!("[desk] bundle_days must be between 1 and 90 (days)");
        }
        if let Some(key) = &self.key
            && key.expose().len() < 32
        {
            anyhow::bail!("[desk] key must be at least 32 characters");
        }
        Ok(())
    }

    pub fn verify_ttl(&self) -> Duration {
        Duration::from_secs(self.verify_minutes * 60)
    }

    pub fn bundle_ttl(&self) -> Duration {
        Duration::from_secs(self.bundle_days * 24 * 60 * 60)
    }
}
