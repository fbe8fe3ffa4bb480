//! The request desk's cases: each data-subject request with its state, dates and the head of
//! its hash-chained history, and the history itself. The [`CaseStore`] trait, implemented by
//! [`Store`]. The rules — which event a state allows, what an event must say, how the legal
//! clock moves — are `kapsel_core::desk`'s; this module runs them inside one transaction per
//! write, so a refused event leaves nothing behind and two writers never fork a history.
//!
//! The requester's address and identifiers live in the case row only, never in the history, so
//! they can be erased once the case is done while the history stays as evidence.

mod sql;

use std::future::Future;

use kapsel_core::deadline::TargetRule;
use kapsel_core::desk::{
    Case, CaseBreakKind, CaseChainBreak, CaseChainSummary, CaseChainVerifier, CaseEvent,
    CaseEventKind, Detail, EventRefused, NewCase, NewCaseEvent, OpenRefused, TransitionError,
};

use crate::backend::on_pool;
use crate::{Store, StoreError};

/// Why a case operation did not happen. Nothing was written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("no case {0}")]
    UnknownCase(String),
    #[error("case {0} already exists")]
    Exists(String),
    #[error("the request was not opened as a case: {0}")]
    Invalid(#[from] OpenRefused),
    /// The event is one the case does not allow now; for a refused transition, see
    /// [`CaseError::transition`].
    #[error("case {case_id}: {refused}")]
    Refused {
        case_id: String,
        refused: EventRefused,
    },
    /// The head moved under a locked append (never expected; the event was not written).
    #[error("case {0}: its head moved during the append; nothing was written, try again")]
    HeadMoved(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CaseError {
    /// The refused transition (from, event, to), when that is why the event was refused.
    pub fn transition(&self) -> Option<&TransitionError> {
        match self {
            CaseError::Refused {
                refused: EventRefused::Transition(transition),
                ..
            } => Some(transition),
            _ => None,
        }
    }
}

/// Keeping request cases and their histories.
pub trait CaseStore: Send + Sync {
    /// Opens a case for `new` (dates by `rule`) with its `received` event, in one transaction.
    fn open_case(
        &self,
        new: NewCase,
        rule: TargetRule,
    ) -> impl Future<Output = Result<(Case, CaseEvent), CaseError>> + Send;

    /// Appends `event` to case `case_id`: checked against the case as it stands
    /// (`kapsel_core::desk::advance`; `rule` is used when the event extends the period),
    /// sealed after its head, the head and state moved, in one transaction. Returns the case
    /// after the event and the sealed event.
    fn append_event(
        &self,
        case_id: &str,
        event: NewCaseEvent,
        rule: TargetRule,
    ) -> impl Future<Output = Result<(Case, CaseEvent), CaseError>> + Send;

    fn case(&self, case_id: &str) -> impl Future<Output = Result<Case, CaseError>> + Send;

    /// The history of `case_id`, in seq order.
    fn events(
        &self,
        case_id: &str,
    ) -> impl Future<Output = Result<Vec<CaseEvent>, CaseError>> + Send;

    /// Up to `limit` open cases, the soonest legal end (`ends_at_ms`) first: the inbox.
    fn open_cases_by_deadline(
        &self,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Case>, CaseError>> + Send;

    /// How many requests from `email` received at or after `since_ms` are still unverified:
    /// the desk's per-address limit counts them.
    fn unverified_requests_since(
        &self,
        email: &str,
        since_ms: i64,
    ) -> impl Future<Output = Result<i64, CaseError>> + Send;

    /// Up to `limit` ids of cases never verified whose lapse time (`lapses_at_ms`) is at or
    /// before `now_ms`, the longest overdue first: what the lapse round closes.
    fn lapsed_unverified(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<String>, CaseError>> + Send;

    /// Recomputes the history of `case_id` and compares it with the case's head (seq, hash
    /// and state). The outer error is a failure to read; the inner one names the first broken
    /// event.
    fn verify_case(
        &self,
        case_id: &str,
    ) -> impl Future<Output = Result<Result<CaseChainSummary, CaseChainBreak>, CaseError>> + Send;
}

impl CaseStore for Store {
    async fn open_case(
        &self,
        new: NewCase,
        rule: TargetRule,
    ) -> Result<(Case, CaseEvent), CaseError> {
        on_pool!(self, sql::open_case(new, rule))
    }

    async fn append_event(
        &self,
        case_id: &str,
        event: NewCaseEvent,
        rule: TargetRule,
    ) -> Result<(Case, CaseEvent), CaseError> {
        on_pool!(self, sql::append_event(case_id, event, rule))
    }

    async fn case(&self, case_id: &str) -> Result<Case, CaseError> {
        on_pool!(self, sql::case(case_id))?.ok_or_else(|| CaseError::UnknownCase(case_id.into()))
    }

    async fn events(&self, case_id: &str) -> Result<Vec<CaseEvent>, CaseError> {
        let rows = on_pool!(self, sql::event_rows(case_id))?;
        if rows.is_empty() && on_pool!(self, sql::head(case_id))?.is_none() {
            return Err(CaseError::UnknownCase(case_id.into()));
        }
        rows.into_iter()
            .map(|row| {
                let seq = row.seq;
                event_of(row).map_err(|reason| {
                    CaseError::Store(StoreError::CorruptRow {
                        id: format!("{case_id}#{seq}"),
                        column: "detail",
                        reason,
                    })
                })
            })
            .collect()
    }

    async fn open_cases_by_deadline(&self, limit: i64) -> Result<Vec<Case>, CaseError> {
        Ok(on_pool!(self, sql::open_cases_by_deadline(limit))?)
    }

    async fn unverified_requests_since(
        &self,
        email: &str,
        since_ms: i64,
    ) -> Result<i64, CaseError> {
        Ok(on_pool!(self, sql::unverified_since(email, since_ms))?)
    }

    async fn lapsed_unverified(&self, now_ms: i64, limit: i64) -> Result<Vec<String>, CaseError> {
        Ok(on_pool!(self, sql::lapsed_unverified(now_ms, limit))?)
    }

    async fn verify_case(
        &self,
        case_id: &str,
    ) -> Result<Result<CaseChainSummary, CaseChainBreak>, CaseError> {
        let Some(head) = on_pool!(self, sql::head(case_id))? else {
            return Err(CaseError::UnknownCase(case_id.into()));
        };
        let mut verifier = CaseChainVerifier::new(case_id);
        for row in on_pool!(self, sql::event_rows(case_id))? {
            let seq = row.seq;
            let event = match event_of(row) {
                Ok(event) => event,
                Err(reason) => {
                    return Ok(Err(
                        verifier.broken(seq, CaseBreakKind::Unreadable { reason })
                    ));
                }
            };
            if let Err(broken) = verifier.push(&event) {
                return Ok(Err(broken));
            }
        }
        Ok(verifier.finish_at_head(head.head_seq, &head.head_hash, &head.state))
    }
}

/// A stored event, interpreted; the reason when its detail is not what any writer writes.
fn event_of(row: sql::EventRow) -> Result<CaseEvent, String> {
    let detail: Detail = serde_json::from_str(&row.detail).map_err(|err| err.to_string())?;
    let kind = CaseEventKind::from_parts(&row.kind, &detail).map_err(|err| err.to_string())?;
    Ok(CaseEvent {
        case_id: row.case_id,
        seq: row.seq,
        at_ms: row.at_ms,
        actor: row.actor,
        kind,
        prev_hash: row.prev_hash,
        hash: row.hash,
    })
}

#[cfg(test)]
mod tests {
    use kapsel_core::desk::{NewCase, Right, VerifyMethod};

    use super::*;

    fn request(id: &str, email: &str, received_ms: i64) -> NewCase {
        NewCase {
            id: id.into(),
            site: "www".into(),
            right: Right::Access,
            email: email.into(),
            identifiers: Default::default(),
            received_ms,
            actor: "requester".into(),
            lang: "nb".into(),
        }
    }

    #[tokio::test]
    async fn unverified_requests_are_counted_per_address_since_an_instant() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(&dir.path().join("k.db")).await.unwrap();
        store.migrate().await.unwrap();
        let t0 = 1_769_853_600_000;
        let rule = TargetRule::SameDate;
        let ids = [
            "01J0000000000000000000000A",
            "01J0000000000000000000000B",
            "01J0000000000000000000000C",
            "01J0000000000000000000000D",
        ];
        let kari = "kari@example.org";
        store
            .open_case(request(ids[0], kari, t0), rule)
            .await
            .unwrap();
        store
            .open_case(request(ids[1], kari, t0 + 10), rule)
            .await
            .unwrap();
        store
            .open_case(request(ids[2], "ola@example.org", t0 + 10), rule)
            .await
            .unwrap();
        store
            .open_case(request(ids[3], kari, t0 + 20), rule)
            .await
            .unwrap();
        assert_eq!(store.unverified_requests_since(kari, t0).await.unwrap(), 3);
        assert_eq!(
            store.unverified_requests_since(kari, t0 + 1).await.unwrap(),
            2
        );
        assert_eq!(
            store
                .unverified_requests_since("nobody@example.org", 0)
                .await
                .unwrap(),
            0
        );
        let verified = NewCaseEvent {
            at_ms: t0 + 30,
            actor: "requester".into(),
            kind: CaseEventKind::Verified {
                method: VerifyMethod::Link,
                note: String::new(),
            },
        };
        store.append_event(ids[3], verified, rule).await.unwrap();
        assert_eq!(
            store.unverified_requests_since(kari, t0).await.unwrap(),
            2,
            "a verified case is not counted"
        );
    }
}
