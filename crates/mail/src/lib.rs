//! Kapsel's outgoing mail, shared by the server and the CLI.
//!
//! - [`message`]: composing a message for the outbox and rendering a stored one as RFC 5322
//!   bytes, with every address parsed and every header value refused if it holds CR or LF, so
//!   that no requester-supplied text can add a header (a `Bcc:`) to a message;
//! - [`smtp`]: the SMTP transport from a `smtp://` / `smtps://` URL (lettre, rustls);
//! - [`deliver`]: one delivery round over the store's outbox, with retries by exponential
//!   backoff and jitter, or keeping the messages when no SMTP is configured.
//!
//! Time and randomness are injected (`kapsel_core::Clock`, `kapsel_core::Random`): the `Date`
//! header is the message's creation time, never read from the wall clock here.

pub mod deliver;
pub mod error;
pub mod message;
pub mod smtp;

pub use deliver::{RetryPolicy, Round, deliver_due};
pub use error::MailError;
pub use message::{Outgoing, Sender, compose, render, to_eml};
pub use smtp::Smtp;
