//! `[console]`: how long the privacy lead's console keeps a session, how many failed sign-ins
//! it allows before it waits, and `[console.oidc]`, the OpenID provider operators may sign in
//! at instead (its client secret is a secret: `KAPSEL_CONSOLE__OIDC__CLIENT_SECRET`).

use serde::{Deserialize, Serialize};

use kapsel_core::Secret;
use kapsel_core::console::session::{SessionPolicy, ThrottlePolicy};
use kapsel_server::console::oidc::{AccountClaim, OidcConfig};

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
    pub oidc: Option<OidcSettings>,
}

/// `[console.oidc]`. Every key has a default so that each can come from its own environment
/// variable; `check` says which are missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcSettings {
    /// The provider's issuer URL (`https://login.microsoftonline.com/TENANT/v2.0`).
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// This console's callback as registered at the provider:
    /// `https://console.example.no/console/oidc/callback`.
    pub redirect_url: String,
    /// `email` (the default) or `preferred_username`: the claim that names the account.
    pub claim: String,
    /// The provider's name on the sign-in button.
    pub label: String,
}

impl Default for OidcSettings {
    fn default() -> OidcSettings {
        OidcSettings {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: None,
            redirect_url: String::new(),
            claim: "email".to_owned(),
            label: String::new(),
        }
    }
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
            oidc: None,
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
        if let Some(oidc) = &self.oidc {
            oidc.config()?;
        }
        Ok(())
    }

    /// `[console.oidc]`, checked, if set.
    pub fn oidc(&self) -> anyhow::Result<Option<OidcConfig>> {
        self.oidc.as_ref().map(OidcSettings::config).transpose()
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

impl OidcSettings {
    fn config(&self) -> anyhow::Result<OidcConfig> {
        for (key, value) in [
            ("issuer", &self.issuer),
            ("client_id", &self.client_id),
            ("redirect_url", &self.redirect_url),
            ("label", &self.label),
        ] {
            if value.trim().is_empty() {
                anyhow::bail!("[console.oidc] {key} must be set");
            }
        }
        let claim = match self.claim.as_str() {
            "email" => AccountClaim::Email,
            "preferred_username" => AccountClaim::PreferredUsername,
            other => anyhow::bail!(
                "[console.oidc] claim: `{other}` is not `email` or `preferred_username`"
            ),
        };
        for (key, value) in [
            ("issuer", &self.issuer),
            ("redirect_url", &self.redirect_url),
        ] {
            let url = url::Url::parse(value).map_err(|e| {
                anyhow::anyhow!("[console.oidc] {key}: `{value}` is not a URL ({e})")
            })?;
            let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if url.scheme() != "https" && !local {
                anyhow::bail!("[console.oidc] {key} must be https (http only on localhost)");
            }
        }
        if !self.redirect_url.ends_with("/console/oidc/callback") {
            anyhow::bail!("[console.oidc] redirect_url must end with /console/oidc/callback");
        }
        Ok(OidcConfig {
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            redirect_url: self.redirect_url.clone(),
            claim,
            label: self.label.clone(),
        })
    }
}
