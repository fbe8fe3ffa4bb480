//! `[console]`: how long the privacy lead's console keeps a session, and how many failed
//! sign-ins it allows before it waits.

use serde::{Deserialize, Serialize};

use kapsel_core::console::session::{SessionPolicy, ThrottlePolicy};

const MINUTE_MS: i64 = 60 * 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSettings {
    /// Minutes without a request after which a session ends.
    pub idle_minutes: i64,
    /// Hours after sign-in after which a session ends, however busy.
    pub session_hours: i64,
    /// Failed sign-ins per account name, and per address prefix, in `throttle_minutes`.
    pub failures_per_account: u32,
    pub failures_per_prefix: u32,
    pub throttle_minutes: i64,
}

impl Default for ConsoleSettings {
    fn default() -> ConsoleSettings {
        let sessions = SessionPolicy::default();
        let throttle = ThrottlePolicy::default();
        ConsoleSettings {
            idle_minutes: sessions.idle_ms / MINUTE_MS,
            session_hours: sessions.absolute_ms / (60 * MINUTE_MS),
            failures_per_account: throttle.per_account,
            failures_per_prefix: throttle.per_prefix,
            throttle_minutes: throttle.window_ms / MINUTE_MS,
        }
    }
}

impl ConsoleSettings {
    /// Every `[console]` rule, each error naming its key.
    pub fn check(&self) -> anyhow::Result<()> {
        if !(1..=24 * 60).contains(&self.idle_minutes) {
            anyhow::bail!("[console] idle_minutes must be between 1 and 1440 (minutes)");
        }
        if !(1..=24 * 7).contains(&self.session_hours) {
            anyhow::bail!("[console] session_hours must be between 1 and 168 (hours)");
        }
        if !(1..=100).contains(&self.failures_per_account) {
            anyhow::bail!("[console] failures_per_account must be between 1 and 100");
        }
        if !(1..=10_000).contains(&self.failures_per_prefix) {
            anyhow::bail!("[console] failures_per_prefix must be between 1 and 10000");
        }
        if !(1..=24 * 60).contains(&self.throttle_minutes) {
            anyhow::bail!("[console] throttle_minutes must be between 1 and 1440 (minutes)");
        }
        Ok(())
    }

    pub fn sessions(&self) -> SessionPolicy {
        SessionPolicy {
            idle_ms: self.idle_minutes * MINUTE_MS,
            absolute_ms: self.session_hours * 60 * MINUTE_MS,
            ..SessionPolicy::default()
        }
    }

    pub fn throttle(&self) -> ThrottlePolicy {
        ThrottlePolicy {
            window_ms: self.throttle_minutes * MINUTE_MS,
            per_account: self.failures_per_account,
            per_prefix: self.failures_per_prefix,
        }
    }
}
