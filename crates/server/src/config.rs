//! What the server needs to start, already validated: the privacy file, the writer's chain id,
//! the clock and the randomness it runs on, the admin token, limits, which reverse proxies are
//! trusted, and whether the demo site is mounted. Parsing settings into this lives in the CLI
//! (`kapsel serve`); sockets are not configuration and are handed to [`crate::launch`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

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
    /// The reverse proxies whose forwarding header is believed; none by default.
    pub proxy: ProxyTrust,
    /// Mount the demo site at `/demo/` (its fake trackers belong on no production listener).
    pub demo: bool,
    /// The instance key that signs receipts and checkpoints; without one, a key kept in the
    /// database (the weaker choice, see docs/ledger.md).
    pub signing_key: Option<Arc<kapsel_core::signing::SigningKey>>,
    /// How often the chain's head is signed into a checkpoint when it moved.
    pub checkpoint_interval: std::time::Duration,
    /// The scanner's token (`[scan] token`): consent POSTs that carry it in `Kapsel-Scan` are
    /// answered as usual and never written to the ledger.
    pub scan_token: Option<Secret>,
    /// The request desk: where its links point and how its mail goes out.
    pub desk: DeskConfig,
    /// The retention engine's schedule and how its rounds run.
    pub retention: crate::retention::RetentionConfig,
    /// The consent gate: write keys, destinations' endpoints, delivery.
    pub gate: GateConfig,
    /// The privacy lead's console (`/console`).
    pub console: ConsoleConfig,
}

/// The console's settings (`[console]`).
#[derive(Debug, Clone, Default)]
pub struct ConsoleConfig {
    pub sessions: kapsel_core::console::session::SessionPolicy,
    pub throttle: kapsel_core::console::session::ThrottlePolicy,
    /// The privacy file as read (its path and text), shown read-only; `None` when the server
    /// was handed a parsed file only.
    pub privacy_source: Option<(String, String)>,
    /// Sign-in with OpenID Connect, besides the console's own passwords.
    pub oidc: Option<crate::console::oidc::OidcConfig>,
}

/// The consent gate's settings (`[gate]`, `[destinations.ID]`).
#[derive(Clone, Default)]
pub struct GateConfig {
    /// Each site's write key (the HTTP Basic user of Segment's API).
    pub write_keys: BTreeMap<String, Secret>,
    /// Sites whose events' `context.consent.categoryPreferences` are believed without a receipt.
    pub client_consent: std::collections::BTreeSet<String>,
    /// Each destination's endpoint and credentials.
    pub endpoints: BTreeMap<String, kapsel_gate::Endpoint>,
    pub delivery: kapsel_gate::DeliveryOptions,
    /// The JetStream outbox (NATS URL, stream name) instead of the store's.
    pub jetstream: Option<(String, String)>,
}

impl fmt::Debug for GateConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GateConfig")
            .field("sites", &self.write_keys.keys().collect::<Vec<_>>())
            .field("client_consent", &self.client_consent)
            .field("destinations", &self.endpoints.keys().collect::<Vec<_>>())
            .field("delivery", &self.delivery)
            .field(
                "jetstream",
                &self.jetstream.as_ref().map(|(_, stream)| stream),
            )
            .finish()
    }
}

/// The request desk's settings.
#[derive(Clone)]
pub struct DeskConfig {
    /// The server's public address as requesters reach it (`https://privacy.example.no`),
    /// without a trailing slash: the links in the desk's mail start with it.
    pub public_url: String,
    /// `[mail]`: the relay and the sender. Without it (or without a relay in it) messages stay
    /// in the outbox for `kapsel outbox`.
    pub mail: Option<MailConfig>,
    /// How often the outbox is delivered.
    pub delivery_interval: Duration,
    /// How often unverified requests past their lapse time are closed as lapsed.
    pub lapse_interval: Duration,
    /// Unverified requests one address may open per 24 hours; beyond them the answer is the
    /// same and nothing is sent.
    pub per_email_per_day: i64,
    /// How long the verification link in the first mail works.
    pub verify_ttl: Duration,
    /// How long an access bundle can be downloaded before it is deleted.
    pub bundle_ttl: Duration,
    /// The key of keyed hashes: erased `keyed_hash` fields and the suppression list. Without
    /// it, erasures that hash and restrictions are refused with a problem naming it.
    pub key: Option<Secret>,
    /// `[connectors.NAME]`: how to reach the datasets the privacy file declares.
    pub connectors: BTreeMap<String, ConnectorConfig>,
}

/// One `[connectors.NAME]`: a database URL (credentials included) or a webhook's URL and the
/// secret its requests are signed with.
#[derive(Clone)]
pub struct ConnectorConfig {
    pub url: Secret,
    pub secret: Option<Secret>,
}

/// Outgoing mail: the relay (`None`: keep the messages) and who they are from.
#[derive(Clone)]
pub struct MailConfig {
    pub smtp: Option<kapsel_mail::Smtp>,
    pub sender: kapsel_mail::Sender,
}

impl Default for DeskConfig {
    fn default() -> Self {
        DeskConfig {
            public_url: "http://127.0.0.1:8080".to_owned(),
            mail: None,
            delivery_interval: Duration::from_secs(5),
            lapse_interval: Duration::from_secs(60),
            per_email_per_day: 3,
            verify_ttl: Duration::from_secs(30 * 60),
            bundle_ttl: Duration::from_secs(7 * 24 * 60 * 60),
            key: None,
            connectors: BTreeMap::new(),
        }
    }
}

impl fmt::Debug for DeskConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeskConfig")
            .field("public_url", &self.public_url)
            .field(
                "smtp",
                &self.mail.as_ref().is_some_and(|m| m.smtp.is_some()),
            )
            .field("delivery_interval", &self.delivery_interval)
            .field("lapse_interval", &self.lapse_interval)
            .field("per_email_per_day", &self.per_email_per_day)
            .field("verify_ttl", &self.verify_ttl)
            .field("bundle_ttl", &self.bundle_ttl)
            .field("key", &self.key)
            .field("connectors", &self.connectors.keys().collect::<Vec<_>>())
            .finish()
    }
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
            proxy: ProxyTrust::default(),
            demo: false,
            signing_key: None,
            checkpoint_interval: std::time::Duration::from_secs(60),
            scan_token: None,
            desk: DeskConfig::default(),
            retention: crate::retention::RetentionConfig::default(),
            gate: GateConfig::default(),
            console: ConsoleConfig::default(),
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
            .field("scan_token", &self.scan_token)
            .field("limits", &self.limits)
            .field("proxy", &self.proxy)
            .field("demo", &self.demo)
            .field("desk", &self.desk)
            .field("gate", &self.gate)
            .finish_non_exhaustive()
    }
}

/// Limits on what the public endpoints accept.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest accepted request body of `POST /v1/consent`.
    pub body_bytes: usize,
    pub rate: RateLimit,
    pub connections: ConnectionLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 8 * 1024,
            rate: RateLimit::default(),
            connections: ConnectionLimits::default(),
        }
    }
}

/// How long a connection may take and how many may be open, on the public listener.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionLimits {
    /// A request's headers must arrive within this, from the moment the connection waits for
    /// them; slower connections are closed.
    pub header_timeout: Duration,
    /// A request's body must arrive within this once its headers are read (408 otherwise).
    pub body_timeout: Duration,
    /// A keep-alive connection with no request in flight is closed after this.
    pub idle_timeout: Duration,
    /// Open connections at most; a connection over it is closed at once.
    pub max_connections: usize,
    /// Open connections at most from one address prefix (IPv4 /24, IPv6 /48) of the socket
    /// peer. Trusted proxies are not counted (they carry many clients), nor loopback peers
    /// while [`RateLimit::exempt_loopback`] is on.
    pub max_per_prefix: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            max_per_prefix: 256,
        }
    }
}

/// Which reverse proxies are believed about the client's address, and through which header.
///
/// A connection from a trusted network is a proxy: the client is the rightmost address in the
/// forwarding header that is not itself in a trusted network, walking leftwards from the socket
/// peer. A connection from anywhere else is the client, whatever headers it sends.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProxyTrust {
    pub trusted: Vec<IpNet>,
    pub header: ForwardedHeader,
}

impl ProxyTrust {
    /// Loopback and private networks (`127.0.0.0/8`, `::1`, `10.0.0.0/8`, `172.16.0.0/12`,
    /// `192.168.0.0/16`, `fc00::/7`): what `--trust-proxy` trusts, for a proxy on the same host
    /// or a private network.
    pub fn local_networks() -> Vec<IpNet> {
        [
            "127.0.0.0/8",
            "::1/128",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "fc00::/7",
        ]
        .iter()
        .filter_map(|net| net.parse().ok())
        .collect()
    }

    /// Whether `addr` is in a trusted network (IPv4-mapped IPv6 addresses as IPv4).
    pub fn trusts(&self, addr: std::net::IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.trusted.iter().any(|net| net.contains(&addr))
    }
}

/// The header a trusted proxy writes the client's address into. Only one is read: a proxy that
/// sets one passes the other through from the client untouched, so believing both would let the
/// client choose its address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2`.
    #[default]
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

/// A trusted network as the settings write it: a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a
/// single address (`10.1.2.3`, as `/32` or `/128`).
pub fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    if let Ok(net) = text.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    text.parse::<std::net::IpAddr>()
        .map(IpNet::from)
        .map_err(|_| format!("{text:?} is neither a network (10.0.0.0/8) nor an address"))
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
    fn networks_parse_as_cidrs_or_single_addresses() {
        assert_eq!(
            parse_network("10.0.0.0/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_network("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            parse_network(" 10.1.2.3 ").unwrap().to_string(),
            "10.1.2.3/32"
        );
        assert_eq!(
            parse_network("2001:db8::1").unwrap().to_string(),
            "2001:db8::1/128"
        );
        assert!(parse_network("10.0.0.0/33").is_err());
        assert!(parse_network("proxy.internal").is_err());
        let local = ProxyTrust {
            trusted: ProxyTrust::local_networks(),
            ..ProxyTrust::default()
        };
        for trusted in [
            "127.0.0.1",
            "::1",
            "10.9.8.7",
            "172.31.0.1",
            "192.168.1.1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(local.trusts(trusted.parse().unwrap()), "{trusted}");
        }
        for untrusted in [
            "203.0.113.9",
            "172.32.0.1",
            "2001:db8::1",
            "::ffff:203.0.113.9",
        ] {
            assert!(!local.trusts(untrusted.parse().unwrap()), "{untrusted}");
        }
    }

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
