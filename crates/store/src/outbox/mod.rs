//! Outgoing mail, durable: the request desk enqueues a message in the store (committed before it
//! returns), and a delivery round (`kapsel_mail::deliver_due`) later sends what is due and
//! records the outcome here. Without SMTP, messages are marked `kept` and stay for
//! `kapsel outbox` to list and write as `.eml`. The [`Outbox`] trait, implemented by [`Store`].
//!
//! The retry policy (backoff, how many attempts) is the caller's: this module only records an
//! attempt and turns a message `dead` once it has had the attempts it was allowed.

mod sql;

use std::fmt;
use std::future::Future;
use std::str::FromStr;

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailState {
    /// Enqueued, not tried yet.
    Queued,
    /// Accepted by the SMTP server.
    Sent,
    /// No SMTP configured: kept in the outbox for the operator (`kapsel outbox write`). Never
    /// sent later by a round, so a message handed over by hand is not sent twice.
    Kept,
    /// The last attempt failed; tried again from `next_attempt_ms`.
    Failed,
    /// Every allowed attempt failed; not tried again.
    Dead,
}

impl MailState {
    pub const ALL: [MailState; 5] = [
        MailState::Queued,
        MailState::Sent,
        MailState::Kept,
        MailState::Failed,
        MailState::Dead,
    ];

    /// The word stored in `mail_outbox.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Queued => "queued",
            MailState::Sent => "sent",
            MailState::Kept => "kept",
            MailState::Failed => "failed",
            MailState::Dead => "dead",
        }
    }
}

impl fmt::Display for MailState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MailState {
    type Err = String;

    fn from_str(word: &str) -> Result<MailState, String> {
        MailState::ALL
            .into_iter()
            .find(|state| state.as_str() == word)
            .ok_or_else(|| {
                format!("unknown mail state {word:?} (queued, sent, kept, failed or dead)")
            })
    }
}

/// A message to enqueue; already built and checked (addresses, headers) by `kapsel-mail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// Chosen by the caller, so that a retried enqueue of the same message is refused.
    pub id: String,
    pub created_ms: i64,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    /// The `Message-ID` header, fixed at enqueue so every attempt and the `.eml` share it.
    pub message_id: String,
    /// Which text this is (`verify-link`, `test-message`…), for the case history and lists.
    pub template: String,
    pub case_id: Option<String>,
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: String,
    pub created_ms: i64,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub message_id: String,
    pub template: String,
    pub case_id: Option<String>,
    pub state: MailState,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
    pub sent_ms: Option<i64>,
}

/// Why an outbox operation did not happen. Nothing was written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("mail {0} is in the outbox already")]
    Exists(String),
    #[error("no mail {0} in the outbox")]
    Unknown(String),
    /// Only a queued or failed message can be marked; a sent, kept or dead one is final.
    #[error("mail {id} is {state}, not waiting to be sent")]
    NotPending { id: String, state: MailState },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The outbox of outgoing mail.
pub trait Outbox: Send + Sync {
    /// Inserts `mail` as queued, due at once; returns after the commit.
    fn enqueue(&self, mail: NewMail) -> impl Future<Output = Result<(), OutboxError>> + Send;

    /// Up to `limit` queued or failed messages whose next attempt is at or before `now_ms`,
    /// the soonest first.
    fn due(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<OutboxMail>, OutboxError>> + Send;

    /// Records that the SMTP server accepted `id` at `now_ms` (one more attempt).
    fn mark_sent(
        &self,
        id: &str,
        now_ms: i64,
    ) -> impl Future<Output = Result<(), OutboxError>> + Send;

    /// Records a failed attempt at `now_ms`: `dead` if this was attempt `max_attempts`, else
    /// `failed` and tried again from `next_attempt_ms` (never before `now_ms`). Returns the new
    /// state.
    fn mark_failed(
        &self,
        id: &str,
        now_ms: i64,
        error: &str,
        next_attempt_ms: i64,
        max_attempts: i64,
    ) -> impl Future<Output = Result<MailState, OutboxError>> + Send;

    /// Marks `id` kept: no SMTP is configured, the operator takes it from the outbox.
    fn mark_kept(&self, id: &str) -> impl Future<Output = Result<(), OutboxError>> + Send;

    /// Up to `limit` messages, in `state` if given, oldest first.
    fn list(
        &self,
        state: Option<MailState>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<OutboxMail>, OutboxError>> + Send;

    fn get(&self, id: &str) -> impl Future<Output = Result<OutboxMail, OutboxError>> + Send;
}

impl Store {
    /// The error for a mark that changed no row: the message is unknown or already final.
    async fn not_marked(&self, id: &str) -> OutboxError {
        match self.get(id).await {
            Ok(mail) => OutboxError::NotPending {
                id: id.to_string(),
                state: mail.state,
            },
            Err(error) => error,
        }
    }
}

impl Outbox for Store {
    async fn enqueue(&self, mail: NewMail) -> Result<(), OutboxError> {
        let id = mail.id.clone();
        if on_pool!(self, sql::enqueue(&mail))? {
            Ok(())
        } else {
            Err(OutboxError::Exists(id))
        }
    }

    async fn due(&self, now_ms: i64, limit: i64) -> Result<Vec<OutboxMail>, OutboxError> {
        Ok(on_pool!(self, sql::due(now_ms, limit))?)
    }

    async fn mark_sent(&self, id: &str, now_ms: i64) -> Result<(), OutboxError> {
        if on_pool!(self, sql::mark_sent(id, now_ms))? {
            Ok(())
        } else {
            Err(self.not_marked(id).await)
        }
    }

    async fn mark_failed(
        &self,
        id: &str,
        now_ms: i64,
        error: &str,
        next_attempt_ms: i64,
        max_attempts: i64,
    ) -> Result<MailState, OutboxError> {
        // A retry is never scheduled before the failure it follows.
        let next = next_attempt_ms.max(now_ms);
        match on_pool!(self, sql::mark_failed(id, error, next, max_attempts))? {
            Some(state) => Ok(state),
            None => Err(self.not_marked(id).await),
        }
    }

    async fn mark_kept(&self, id: &str) -> Result<(), OutboxError> {
        if on_pool!(self, sql::mark_kept(id))? {
            Ok(())
        } else {
            Err(self.not_marked(id).await)
        }
    }

    async fn list(
        &self,
        state: Option<MailState>,
        limit: i64,
    ) -> Result<Vec<OutboxMail>, OutboxError> {
        Ok(on_pool!(self, sql::list(state, limit))?)
    }

    async fn get(&self, id: &str) -> Result<OutboxMail, OutboxError> {
        on_pool!(self, sql::get(id))?.ok_or_else(|| OutboxError::Unknown(id.to_string()))
    }
}
