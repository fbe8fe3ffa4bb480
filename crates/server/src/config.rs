//! What the server needs to start, already validated: the privacy file, the writer's chain id,
//! the clock and the randomness it runs on, the admin token, limits, whether a reverse proxy
//! is trusted, and whether the demo site is mounted. Parsing settings into this lives in the CLI
//! (`kapsel serve`); sockets are not configuration and are handed to [`crate::launch`].

use std::fmt;
use std::sync::Arc;

use kapsel_core::privacy::PrivacyFile;
use kapsel_core::{Clock, OsRandom, Random, Secret, SystemClock};

/// Everything `launch` needs besides the store, the listeners and the shutdown signal.
pub struct ServerConfig {
    pub privacy: Arc<PrivacyFile>,
    /// This writer's ledger chain; each instance sharing a database needs its own.
    pub chain_id: String,
    /// Every timestamp the server stamps (ledger records, receipt ids, publication times).
    pub clock: Arc<dyn Clock>,
    /// The randomness of receipt ids (and, later, tokens).
    pub random: Arc<dyn Random>,
    /// The admin bearer token guarding the admin API on the public listener (`/metrics`,
    /// `/ropa`). Without one those routes do not exist there; the ops listener serves metrics
    /// without a token.
    pub admin_token: Option<Secret>,
    pub limits: Limits,
    /// Take the client address from the first `X-Forwarded-For` entry instead of the socket.
    /// Only for a server behind a reverse proxy that sets that header.
    pub trust_proxy: bool,
    /// Mount the demo site at `/demo/` (its fake trackers belong on no production listener).
    pub demo: bool,
    /// The instance key that signs receipts and checkpoints; without one, a key kept in the
    /// database (the weaker choice, see docs/ledger.md).
    pub signing_key: Option<Arc<kapsel_core::signing::SigningKey>>,
    /// How often the chain's head is signed into a checkpoint when it moved.
    pub checkpoint_interval: std::time::Duration,
}

impl ServerConfig {
    /// A configuration on the wall clock and the operating system's randomness, with default
    /// limits, no admin token, no proxy and no demo.
    pub fn new(privacy: Arc<PrivacyFile>, chain_id: impl Into<String>) -> Self {
        ServerConfig {
            privacy,
            chain_id: chain_id.into(),
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            admin_token: None,
            limits: Limits::default(),
            trust_proxy: false,
            demo: false,
            signing_key: None,
            checkpoint_interval: std::time::Duration::from_secs(60),
        }
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field(
                "sites",
                &self.privacy.sites.iter().map(|s| &s.id).collect::<Vec<_>>(),
            )
            .field("chain_id", &self.chain_id)
            .field("admin_token", &self.admin_token)
            .field("limits", &self.limits)
            .field("trust_proxy", &self.trust_proxy)
            .field("demo", &self.demo)
            .finish_non_exhaustive()
    }
}

/// Limits on what the public endpoints accept.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest accepted request body of `POST /v1/consent`.
    pub body_bytes: usize,
    pub rate: RateLimit,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 8 * 1024,
            rate: RateLimit::default(),
        }
    }
}

/// Token bucket per truncated address prefix (IPv4 /24, IPv6 /48) on the consent and receipt
/// endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second per prefix; 0 switches rate limiting off.
    pub per_second: f64,
    /// Requests a prefix may make at once before being throttled.
    pub burst: u32,
    /// Loopback clients (127.0.0.0/8, ::1) are not throttled, so local tests and benchmarks are
    /// not either. Switch off to throttle them like everyone else.
    pub exempt_loopback: bool,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: 20.0,
            burst: 100,
            exempt_loopback: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_token_is_redacted_in_the_configuration() {
        let source = include_str!("../../../examples/kapsel.toml");
        let file = kapsel_core::privacy::load(source, "kapsel.toml").unwrap();
        let mut config = ServerConfig::new(Arc::new(file), "c");
        config.admin_token = Secret::new("fictional-secret-42");
        let shown = format!("{config:?}");
        assert!(!shown.contains("fictional-secret-42"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
