//! Why a message was not built or not sent. Each names the field or setting at fault, so a
//! refused request and a wrong `[mail]` setting both say what to change.

/// A mail error; nothing was enqueued or sent when one is returned from composing.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A header value holds a line break, which would start a new header (injection).
    #[error("{field} must not contain a line break (CR or LF)")]
    LineBreak { field: &'static str },
    /// Not an e-mail address (or mailbox, `Name <addr>`).
    #[error("{field} is not an e-mail address: {reason}")]
    BadAddress { field: &'static str, reason: String },
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    /// lettre refused the message (never expected after the checks above).
    #[error("the message could not be built: {0}")]
    Build(String),
    /// The SMTP URL could not be read; the URL itself is not repeated, it may hold a password.
    #[error(
        "[mail] smtp_url is not a usable SMTP URL (smtp://host:port, smtps://…, ?tls=required): {0}"
    )]
    SmtpUrl(String),
    #[error(transparent)]
    Outbox(#[from] kapsel_store::OutboxError),
}
