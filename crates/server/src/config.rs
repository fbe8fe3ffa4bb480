//! What the server needs to start, already validated: the privacy file, the writer's chain id,
//! the admin token (redacted in `Debug`), limits, and whether a reverse proxy is trusted.
//! Parsing flags and environment into this lives in the CLI (`kapsel serve`).

use std::fmt;
use std::sync::Arc;

use kapsel_core::privacy::PrivacyFile;

/// Everything `launch` needs besides the store, the listener and the shutdown signal.
pub struct ServerConfig {
    pub privacy: Arc<PrivacyFile>,
    /// This writer's ledger chain; each instance sharing a database needs its own.
    pub chain_id: String,
    /// Guards `/metrics` on the public listener. Without one, `/metrics` is served only on the
    /// admin listener (if any).
    pub admin_token: Option<AdminToken>,
    /// A second listener serving `/metrics` and `/healthz` without a token (bind it to loopback or
    /// a private network).
    pub admin_listener: Option<tokio::net::TcpListener>,
    pub limits: Limits,
    /// Take the client address from the first `X-Forwarded-For` entry instead of the socket.
    /// Only for a server behind a reverse proxy that sets that header.
    pub trust_proxy: bool,
}

impl ServerConfig {
    /// A configuration with default limits, no admin token and no proxy.
    pub fn new(privacy: Arc<PrivacyFile>, chain_id: impl Into<String>) -> Self {
        ServerConfig {
            privacy,
            chain_id: chain_id.into(),
            admin_token: None,
            admin_listener: None,
            limits: Limits::default(),
            trust_proxy: false,
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
            .field(
                "admin_listener",
                &self.admin_listener.as_ref().map(|l| l.local_addr().ok()),
            )
            .field("limits", &self.limits)
            .field("trust_proxy", &self.trust_proxy)
            .finish()
    }
}

/// The admin bearer token. Its `Debug` and `Display` never show the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(String);

impl AdminToken {
    /// `None` for an empty token: an empty secret would guard nothing.
    pub fn new(secret: impl Into<String>) -> Option<Self> {
        let secret = secret.into();
        if secret.trim().is_empty() {
            None
        } else {
            Some(AdminToken(secret))
        }
    }

    /// Compares in time independent of where the first difference is.
    pub fn matches(&self, candidate: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminToken(<redacted>)")
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
    fn admin_token_is_redacted_and_empty_is_refused() {
        let token = AdminToken::new("fictional-secret-42").unwrap();
        assert_eq!(format!("{token:?}"), "AdminToken(<redacted>)");
        assert!(token.matches("fictional-secret-42"));
        assert!(!token.matches("fictional-secret-43"));
        assert!(!token.matches(""));
        assert!(AdminToken::new("  ").is_none());
    }
}
