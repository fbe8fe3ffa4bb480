//! The console's operators, their sessions and their failed sign-ins: the [`Accounts`] trait,
//! implemented by [`Store`]. The rules (roles, timeouts, throttling) are
//! `kapsel_core::console`'s; this concern only keeps the rows.
//!
//! - Account names are kept trimmed and lower-cased ([`account_name`]).
//! - A session row holds the SHA-256 of the cookie's token, never the token, so a copy of the
//!   database signs nobody in.
//! - A TOTP step is used with one conditional update ([`Accounts::use_totp_step`]), so two
//!   instances cannot both accept the same code.
//! - Disabling an account or changing its password ends its sessions in the same transaction.

mod sql;

use std::future::Future;

use kapsel_core::Millis;
use kapsel_core::console::Role;

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// An operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub role: Role,
    /// argon2id, PHC string.
    pub password_hash: String,
    /// The TOTP secret, when a second factor is set up.
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub disabled: bool,
    pub created_ms: Millis,
    pub changed_ms: Millis,
}

/// How far a session has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// The password was right; the second factor is still to come.
    Pending,
    Full,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::Pending => "pending",
            SessionStage::Full => "full",
        }
    }

    fn parse(text: &str) -> Option<SessionStage> {
        match text {
            "pending" => Some(SessionStage::Pending),
            "full" => Some(SessionStage::Full),
            _ => None,
        }
    }
}

/// A session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the cookie's token.
    pub token_hash: String,
    pub account: String,
    pub stage: SessionStage,
    /// The token every form of this session carries.
    pub csrf_token: String,
    pub created_ms: Millis,
    pub last_seen_ms: Millis,
    /// The address prefix the session was opened from.
    pub prefix: Option<String>,
}

/// An OpenID Connect sign-in between the redirect to the provider and its callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcPending {
    /// SHA-256 (hex) of the `state` sent to the provider.
    pub state_hash: String,
    pub nonce: String,
    /// The PKCE code verifier.
    pub verifier: String,
    /// The console language the sign-in started in.
    pub lang: String,
    pub created_ms: Millis,
}

/// The stored form of an account name: trimmed and lower-cased.
pub fn account_name(name: &str) -> String {
    name.trim().to_lowercase()
}

pub trait Accounts: Send + Sync {
    /// Adds `account` (its name as [`account_name`] keeps it); false when the name is taken.
    fn add_account(
        &self,
        account: &Account,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn account(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<Account>, StoreError>> + Send;

    /// Every account, by name.
    fn accounts(&self) -> impl Future<Output = Result<Vec<Account>, StoreError>> + Send;

    /// Sets the password and ends the account's sessions; false for an unknown name.
    fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        now_ms: Millis,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Disables or enables the account; disabling ends its sessions. False for an unknown name.
    fn set_disabled(
        &self,
        name: &str,
        disabled: bool,
        now_ms: Millis,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Sets (or with `None` removes) the TOTP secret; false for an unknown name.
    fn set_totp(
        &self,
        name: &str,
        secret: Option<&[u8]>,
        now_ms: Millis,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Marks TOTP step `step` used, unless it or a later one was: whether this call did.
    fn use_totp_step(
        &self,
        name: &str,
        step: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn open_session(
        &self,
        session: &Session,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn session(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Moves the session's last use to `now_ms`.
    fn touch_session(
        &self,
        token_hash: &str,
        now_ms: Millis,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn end_session(&self, token_hash: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends every session of `account`; how many there were.
    fn end_sessions_of(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Records one failed sign-in under each of `keys`.
    fn record_failure(
        &self,
        keys: &[String],
        at_ms: Millis,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The failures under `key` at or after `since_ms`.
    fn failures_since(
        &self,
        key: &str,
        since_ms: Millis,
    ) -> impl Future<Output = Result<u32, StoreError>> + Send;

    /// Keeps an OpenID Connect sign-in under way until its callback.
    fn save_oidc_pending(
        &self,
        pending: &OidcPending,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Takes (and removes) the sign-in under way with `state_hash`: it is used once.
    fn take_oidc_pending(
        &self,
        state_hash: &str,
    ) -> impl Future<Output = Result<Option<OidcPending>, StoreError>> + Send;

    /// Removes failures, sessions and OpenID Connect sign-ins under way that ended before
    /// `before_ms` (own-data disposal): how many rows went.
    fn prune_sign_ins(
        &self,
        failures_before_ms: Millis,
        sessions_seen_before_ms: Millis,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

impl Accounts for Store {
    async fn add_account(&self, account: &Account) -> Result<bool, StoreError> {
        let account = Account {
            name: account_name(&account.name),
            ..account.clone()
        };
        on_pool!(self, sql::insert_account(&account))
    }

    async fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        on_pool!(self, sql::account(&account_name(name)))
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        on_pool!(self, sql::accounts())
    }

    async fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        now_ms: Millis,
    ) -> Result<bool, StoreError> {
        on_pool!(
            self,
            sql::set_password(&account_name(name), password_hash, now_ms)
        )
    }

    async fn set_disabled(
        &self,
        name: &str,
        disabled: bool,
        now_ms: Millis,
    ) -> Result<bool, StoreError> {
        on_pool!(
            self,
            sql::set_disabled(&account_name(name), disabled, now_ms)
        )
    }

    async fn set_totp(
        &self,
        name: &str,
        secret: Option<&[u8]>,
        now_ms: Millis,
    ) -> Result<bool, StoreError> {
        let secret = secret.map(hex::encode);
        on_pool!(
            self,
            sql::set_totp(&account_name(name), secret.as_deref(), now_ms)
        )
    }

    async fn use_totp_step(&self, name: &str, step: i64) -> Result<bool, StoreError> {
        on_pool!(self, sql::use_totp_step(&account_name(name), step))
    }

    async fn open_session(&self, session: &Session) -> Result<(), StoreError> {
        on_pool!(self, sql::insert_session(session))
    }

    async fn session(&self, token_hash: &str) -> Result<Option<Session>, StoreError> {
        on_pool!(self, sql::session(token_hash))
    }

    async fn touch_session(&self, token_hash: &str, now_ms: Millis) -> Result<(), StoreError> {
        on_pool!(self, sql::touch_session(token_hash, now_ms))
    }

    async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, sql::end_session(token_hash))
    }

    async fn end_sessions_of(&self, account: &str) -> Result<u64, StoreError> {
        on_pool!(self, sql::end_sessions_of(&account_name(account)))
    }

    async fn record_failure(&self, keys: &[String], at_ms: Millis) -> Result<(), StoreError> {
        on_pool!(self, sql::record_failure(keys, at_ms))
    }

    async fn failures_since(&self, key: &str, since_ms: Millis) -> Result<u32, StoreError> {
        on_pool!(self, sql::failures_since(key, since_ms))
    }

    async fn save_oidc_pending(&self, pending: &OidcPending) -> Result<(), StoreError> {
        on_pool!(self, sql::insert_oidc(pending))
    }

    async fn take_oidc_pending(&self, state_hash: &str) -> Result<Option<OidcPending>, StoreError> {
        on_pool!(self, sql::take_oidc(state_hash))
    }

    async fn prune_sign_ins(
        &self,
        failures_before_ms: Millis,
        sessions_seen_before_ms: Millis,
    ) -> Result<u64, StoreError> {
        on_pool!(
            self,
            sql::prune(failures_before_ms, sessions_seen_before_ms)
        )
    }
}

pub(crate) fn stage_of(id: &str, text: &str) -> Result<SessionStage, StoreError> {
    SessionStage::parse(text).ok_or_else(|| StoreError::CorruptRow {
        id: id.to_owned(),
        column: "stage",
        reason: format!("unknown stage {text:?}"),
    })
}

pub(crate) fn role_of(id: &str, text: &str) -> Result<Role, StoreError> {
    Role::parse(text).ok_or_else(|| StoreError::CorruptRow {
        id: id.to_owned(),
        column: "role",
        reason: format!("unknown role {text:?}"),
    })
}

pub(crate) fn secret_of(id: &str, text: Option<String>) -> Result<Option<Vec<u8>>, StoreError> {
    text.map(|hex_text| {
        hex::decode(&hex_text).map_err(|e| StoreError::CorruptRow {
            id: id.to_owned(),
            column: "totp_secret",
            reason: e.to_string(),
        })
    })
    .transpose()
}
