//! The SMTP transport, from the URL in `[mail] smtp_url` (lettre's URL form):
//!
//! - `smtp://host:2525` — plain, for a relay on loopback;
//! - `smtp://user:pass@host:587?tls=required` — STARTTLS, refused if the server offers none;
//! - `smtps://user:pass@host:465` — implicit TLS.
//!
//! TLS is rustls with the webpki roots. Every connection and command is bounded by the timeout,
//! so a silent server fails an attempt instead of holding a round.

use std::time::Duration;

use lettre::Tokio1Executor;
use lettre::transport::smtp::AsyncSmtpTransport;

use crate::MailError;

/// A configured SMTP relay; cheap to clone.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for Smtp {
    /// Never prints the URL: it may hold the relay's password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Smtp { .. }")
    }
}

impl Smtp {
    /// The transport for `url`, each exchange bounded by `timeout`.
    pub fn from_url(url: &str, timeout: Duration) -> Result<Smtp, MailError> {
        let scheme = url.split("://").next().unwrap_or_default();
        if !matches!(scheme, "smtp" | "smtps") || !url.contains("://") {
            return Err(MailError::SmtpUrl(
                "it must start with smtp:// or smtps://".into(),
            ));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|err| MailError::SmtpUrl(err.to_string()))?
            .timeout(Some(timeout))
            .build();
        Ok(Smtp { transport })
    }

    pub(crate) fn transport(&self) -> &AsyncSmtpTransport<Tokio1Executor> {
        &self.transport
    }
}
