//! `[mail]`: outgoing mail of the request desk. Without `smtp_url`, every message stays in the
//! store's outbox (`kapsel outbox list|write`), so the embedded default works end to end with
//! nothing else installed; with it, `from` is required and mail goes out over SMTP (rustls).
//! Checked when the settings are loaded, each error naming its key, so a wrong relay or sender
//! is found at start and not at the first request.

use std::time::Duration;

use kapsel_core::Secret;
use kapsel_mail::{MailError, Sender, Smtp};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// The relay (a secret: it may hold a password): `smtp://host:2525` (plain, for loopback),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://user:pass@host:465`.
    pub smtp_url: Option<Secret>,
    /// The sender, `Name <address>` or `address`; required with `smtp_url`.
    pub from: Option<String>,
    /// Seconds each SMTP connection or command may take before the attempt fails.
    pub timeout_s: u64,
}

impl Default for MailSettings {
    fn default() -> MailSettings {
        MailSettings {
            smtp_url: None,
            from: None,
            timeout_s: 10,
        }
    }
}

impl MailSettings {
    /// Every `[mail]` rule, each error naming its key.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.timeout_s == 0 {
            anyhow::bail!("[mail] timeout_s must be at least 1 (seconds)");
        }
        self.sender()?;
        self.smtp()?;
        if self.smtp_url.is_some() && self.from.is_none() {
            anyhow::bail!("[mail] from is required when [mail] smtp_url is set");
        }
        Ok(())
    }

    /// Who mail is from: `from`, or a `.invalid` sender when it is not set.
    pub fn sender(&self) -> anyhow::Result<Sender> {
        let sender = match &self.from {
            Some(from) => Sender::parse(from, "[mail] from"),
            None => Sender::unconfigured(),
        };
        sender.map_err(|error: MailError| anyhow::anyhow!("{error}"))
    }

    /// The relay, or `None` when mail is kept in the outbox.
    pub fn smtp(&self) -> anyhow::Result<Option<Smtp>> {
        let Some(url) = &self.smtp_url else {
            return Ok(None);
        };
        Smtp::from_url(url.expose(), Duration::from_secs(self.timeout_s))
            .map(Some)
            .map_err(|error| anyhow::anyhow!("{error}"))
    }
}
