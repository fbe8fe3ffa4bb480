//! The requester's links: the [`DeskLinks`] trait, implemented by [`Store`]. A link's token is
//! made by `kapsel_core::desk::token` and only its SHA-256 is kept here, with its case, purpose
//! and expiry. Redeeming a verification link uses it up in one conditional statement, so two
//! requests with the same link (a replay, a double click) never both succeed.
//!
//! Why a link was refused is typed ([`LinkRefused`]) for logs and tests; whoever answers a
//! requester must answer every refusal the same way, so a guess learns nothing.

mod sql;

use std::future::Future;

use kapsel_core::Millis;
use kapsel_core::desk::token::{self, TokenPurpose};
use kapsel_core::random::Random;
use kapsel_core::secret::Secret;

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// A kept link, as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub case_id: String,
    pub purpose: String,
    pub expires_ms: Millis,
    pub used_ms: Option<Millis>,
}

/// Why a link does not open its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefused {
    #[error("not a link Kapsel issued")]
    Unknown,
    #[error("the link is for something else")]
    WrongPurpose,
    #[error("the link was used already")]
    Used,
    #[error("the link has expired")]
    Expired,
}

/// Issuing and redeeming the requester's links.
pub trait DeskLinks: Send + Sync {
    /// Issues a link for `case_id` that works until `now_ms + ttl_ms`; returns the token for the
    /// mail (it is not kept).
    fn issue_link(
        &self,
        case_id: &str,
        purpose: TokenPurpose,
        now_ms: Millis,
        ttl_ms: Millis,
        random: &dyn Random,
    ) -> impl Future<Output = Result<Secret, StoreError>> + Send;

    /// The case a link from a mail opens, or why it does not. A verification link is used up.
    fn redeem_link(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now_ms: Millis,
    ) -> impl Future<Output = Result<Result<String, LinkRefused>, StoreError>> + Send;

    /// Removes links that expired at or before `before_ms`; how many.
    fn delete_expired_links(
        &self,
        before_ms: Millis,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

impl DeskLinks for Store {
    async fn issue_link(
        &self,
        case_id: &str,
        purpose: TokenPurpose,
        now_ms: Millis,
        ttl_ms: Millis,
        random: &dyn Random,
    ) -> Result<Secret, StoreError> {
        let issued = token::issue(random);
        let expires_ms = now_ms.saturating_add(ttl_ms);
        on_pool!(
            self,
            sql::insert(&issued.hash, case_id, purpose.as_str(), now_ms, expires_ms)
        )?;
        Ok(issued.token)
    }

    async fn redeem_link(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now_ms: Millis,
    ) -> Result<Result<String, LinkRefused>, StoreError> {
        let Some(hash) = token::token_hash(token) else {
            return Ok(Err(LinkRefused::Unknown));
        };
        if purpose.single_use()
            && let Some(case_id) = on_pool!(self, sql::use_up(&hash, purpose.as_str(), now_ms))?
        {
            return Ok(Ok(case_id));
        }
        let Some(row) = on_pool!(self, sql::get(&hash))? else {
            return Ok(Err(LinkRefused::Unknown));
        };
        Ok(if row.purpose != purpose.as_str() {
            Err(LinkRefused::WrongPurpose)
        } else if row.used_ms.is_some() {
            Err(LinkRefused::Used)
        } else if row.expires_ms <= now_ms {
            Err(LinkRefused::Expired)
        } else if purpose.single_use() {
            // Not used, not expired, yet not used up above: another request used it meanwhile.
            Err(LinkRefused::Used)
        } else {
            Ok(row.case_id)
        })
    }

    async fn delete_expired_links(&self, before_ms: Millis) -> Result<u64, StoreError> {
        on_pool!(self, sql::delete_expired(before_ms))
    }
}
