//! The sections the HTTP server runs with: `[server]` (the privacy file, the demo site),
//! `[limits]`, `[proxy]` and `[admin]`; and how they become a [`ServerConfig`]. The limits'
//! defaults are the server's own ([`Limits::default`]), not repeated here.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use kapsel_core::Secret;
use kapsel_core::privacy::PrivacyFile;
use kapsel_server::{
    ConnectionLimits, ForwardedHeader, Limits, ProxyTrust, RateLimit, ServerConfig,
};
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
    /// The address requesters reach this server at (`https://privacy.example.no`): the links
    /// in the request desk's mail start with it. Without it, the address `kapsel serve`
    /// listens on.
    pub public_url: Option<String>,
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
    /// Seconds a request's headers may take to arrive.
    pub header_timeout_s: u64,
    /// Seconds a request's body may take to arrive once its headers are read.
    pub body_timeout_s: u64,
    /// Seconds a keep-alive connection may sit idle.
    pub idle_timeout_s: u64,
    /// Open connections at most on the public listener.
    pub max_connections: usize,
    /// Open connections at most from one address prefix (trusted proxies not counted).
    pub max_connections_per_prefix: usize,
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
            header_timeout_s: limits.connections.header_timeout.as_secs(),
            body_timeout_s: limits.connections.body_timeout.as_secs(),
            idle_timeout_s: limits.connections.idle_timeout.as_secs(),
            max_connections: limits.connections.max_connections,
            max_connections_per_prefix: limits.connections.max_per_prefix,
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
            connections: ConnectionLimits {
                header_timeout: Duration::from_secs(limits.header_timeout_s),
                body_timeout: Duration::from_secs(limits.body_timeout_s),
                idle_timeout: Duration::from_secs(limits.idle_timeout_s),
                max_connections: limits.max_connections,
                max_per_prefix: limits.max_connections_per_prefix,
            },
        }
    }
}

/// `[proxy]`: the reverse proxies in front, if any, whose forwarding header is believed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxySettings {
    /// Trust proxies on loopback and private networks (`127.0.0.0/8`, `::1`, `10.0.0.0/8`,
    /// `172.16.0.0/12`, `192.168.0.0/16`, `fc00::/7`), added to `trusted`; what
    /// `--trust-proxy` sets.
    pub trust: bool,
    /// The proxies' networks (`10.0.0.0/8`) or addresses (`10.1.2.3`).
    pub trusted: Vec<Network>,
    /// The header they write the client into: `x-forwarded-for` or `forwarded` (RFC 7239).
    pub header: ProxyHeader,
}

impl ProxySettings {
    /// The server's view: every listed network, and the local ones with `trust`.
    pub fn proxy_trust(&self) -> ProxyTrust {
        let mut trusted: Vec<_> = self
            .trusted
            .iter()
            .filter_map(|network| kapsel_server::parse_network(&network.0).ok())
            .collect();
        if self.trust {
            trusted.extend(ProxyTrust::local_networks());
        }
        let header = match self.header {
            ProxyHeader::XForwardedFor => ForwardedHeader::XForwardedFor,
            ProxyHeader::Forwarded => ForwardedHeader::Forwarded,
        };
        ProxyTrust { trusted, header }
    }
}

/// A trusted network as written in the settings, checked when read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Network(String);

impl TryFrom<String> for Network {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        kapsel_server::parse_network(&text).map(|_| Network(text))
    }
}

impl From<Network> for String {
    fn from(network: Network) -> String {
        network.0
    }
}

/// `[proxy] header`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProxyHeader {
    #[default]
    XForwardedFor,
    Forwarded,
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
        config.scan_token = self.scan.token.clone();
        config.limits = Limits::from(&self.limits);
        config.proxy = self.proxy.proxy_trust();
        config.demo = self.server.demo;
        if let Some(url) = &self.server.public_url {
            config.desk.public_url = url.trim_end_matches('/').to_owned();
        }
        config.desk.verify_ttl = self.desk.verify_ttl();
        config.desk.bundle_ttl = self.desk.bundle_ttl();
        config.desk.key = self.desk.key.clone();
        config.desk.connectors = self
            .connectors
            .iter()
            .map(|(name, c)| {
                let connector = kapsel_server::ConnectorConfig {
                    url: c.url.clone(),
                    secret: c.secret.clone(),
                };
                (name.clone(), connector)
            })
            .collect();
        config.gate = kapsel_server::GateConfig {
            write_keys: self.gate.write_keys.clone(),
            client_consent: self.gate.client_consent.iter().cloned().collect(),
            endpoints: self
                .destinations
                .iter()
                .map(|(id, d)| {
                    let endpoint = kapsel_gate::Endpoint {
                        url: d.url.clone(),
                        credentials: d
                            .credentials
                            .iter()
                            .map(|(k, v)| (k.clone(), v.expose().to_owned()))
                            .collect(),
                    };
                    (id.clone(), endpoint)
                })
                .collect(),
            delivery: self.gate.delivery(),
            jetstream: self.gate.jetstream(),
        };
        config.console.sessions = self.console.sessions();
        config.console.throttle = self.console.throttle();
        // Checked when the settings were loaded.
        config.console.oidc = self.console.oidc().ok().flatten();
        let jobs = &self.jobs;
        config.retention.every = (jobs.retention_minutes > 0)
            .then(|| std::time::Duration::from_secs(jobs.retention_minutes.saturating_mul(60)));
        config.retention.options.batch_rows = jobs.retention_batch_rows;
        config.retention.options.pause_ms = jobs.retention_pause_ms;
        config.retention.options.max_share = jobs.retention_max_share;
        config.retention.options.max_batches = Some(jobs.retention_round_batches);
        // Checked when the settings were read.
        config.retention.ledger_proof = self.ledger.proof_period().ok();
        config.retention.options.lease_ms =
            i64::try_from(jobs.retention_lease_seconds.saturating_mul(1000)).unwrap_or(i64::MAX);
        config
    }
}
