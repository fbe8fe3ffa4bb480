//! The sections the HTTP server runs with: `[server]` (the privacy file, the demo site),
//! `[limits]`, `[proxy]` and `[admin]`; and how they become a [`ServerConfig`]. The limits'
//! defaults are the server's own ([`Limits::default`]), not repeated here.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use kapsel_core::Secret;
use kapsel_core::privacy::PrivacyFile;
use kapsel_server::{Limits, RateLimit, ServerConfig};
use serde::{Deserialize, Serialize};

use super::Settings;

/// `[server]`: what is served.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// The privacy file (`kapsel.toml`); required by `kapsel serve`.
    pub privacy_file: Option<PathBuf>,
    /// Mount the demo site (fake trackers and embeds) at `/demo/`.
    pub demo: bool,
}

impl ServerSettings {
    /// The privacy file, or an error saying the three ways to give it.
    pub fn privacy_file(&self) -> anyhow::Result<&Path> {
        self.privacy_file.as_deref().context(
            "no privacy file: give --config FILE, KAPSEL_SERVER__PRIVACY_FILE (or KAPSEL_CONFIG) \
             or `privacy_file` in the [server] section of the settings file",
        )
    }
}

/// `[limits]`: what the public endpoints accept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSettings {
    /// Largest accepted consent request body in bytes.
    pub body_bytes: usize,
    /// Sustained consent requests per second per address prefix (IPv4 /24, IPv6 /48); 0 = off.
    pub rate_per_second: f64,
    /// Requests a prefix may make at once before being throttled.
    pub rate_burst: u32,
    /// Loopback clients are not rate-limited (local tests and benchmarks).
    pub exempt_loopback: bool,
}

impl Default for LimitsSettings {
    fn default() -> Self {
        LimitsSettings::from(&Limits::default())
    }
}

impl From<&Limits> for LimitsSettings {
    fn from(limits: &Limits) -> Self {
        LimitsSettings {
            body_bytes: limits.body_bytes,
            rate_per_second: limits.rate.per_second,
            rate_burst: limits.rate.burst,
            exempt_loopback: limits.rate.exempt_loopback,
        }
    }
}

impl From<&LimitsSettings> for Limits {
    fn from(limits: &LimitsSettings) -> Self {
        Limits {
            body_bytes: limits.body_bytes,
            rate: RateLimit {
                per_second: limits.rate_per_second,
                burst: limits.rate_burst,
                exempt_loopback: limits.exempt_loopback,
            },
        }
    }
}

/// `[proxy]`: the reverse proxy in front, if any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxySettings {
    /// Take the client address from the first `X-Forwarded-For` entry (only behind a reverse
    /// proxy that sets it).
    pub trust: bool,
}

/// `[admin]`: the admin API on the public listener.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminSettings {
    /// The bearer token guarding `/metrics` and the admin routes on the public listener;
    /// without one they are not served there.
    pub token: Option<Secret>,
}

impl Settings {
    /// The server's configuration on the wall clock and the system's randomness.
    pub fn server_config(&self, privacy: Arc<PrivacyFile>, chain_id: String) -> ServerConfig {
        let mut config = ServerConfig::new(privacy, chain_id);
        config.admin_token = self.admin.token.clone();
        config.limits = Limits::from(&self.limits);
        config.trust_proxy = self.proxy.trust;
        config.demo = self.server.demo;
        config
    }
}
