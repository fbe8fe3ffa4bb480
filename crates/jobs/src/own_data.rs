//! Kapsel's own data under the same engine: fixed periods (docs/retention.md; the privacy notice
//! states the closed cases' one in its rights section), run with the operator's rules and recorded the same way (one disposal chain per kind, a record
//! whenever something was removed).
//!
//! | kind | what goes | after |
//! |---|---|---|
//! | `kapsel-sent-mail` | sent messages (address, subject, body) | 90 days |
//! | `kapsel-expired-links` | verification and status links | 30 days past their expiry |
//! | `kapsel-closed-cases` | a closed case's address and identifiers (its history stays) | 3 years after it closed |
//! | `kapsel-gate-events` | a gate event's body and subject hashes, once every destination is forwarded or blocked | 7 days after it was received |
//! | `kapsel-gate-trace` | the gate's decision trace (and what is left of its events) | 13 months after the event was received |
//! | `kapsel-console-sign-ins` | the console's failed sign-ins (the name typed, the address prefix) and its ended sessions | 30 days |
//!
//! The console's audit log is evidence of what operators did and is kept, like the ledger.
//!
//! Expired access bundles are deleted by the desk's sweep as soon as they expire; consent
//! records by `kapsel ledger prune` after their proof period.

use std::collections::BTreeMap;

use kapsel_core::Millis;
use kapsel_core::calendar::add_months_to_instant;
use kapsel_core::retention::record::{DisposalKind, NewDisposal};
use kapsel_store::{Accounts, Leases, OwnData, Retention};
use serde::Serialize;

use crate::retention::{RunError, RunOptions, Runner};

const DAY_MS: Millis = 24 * 60 * 60 * 1000;
pub const SENT_MAIL_DAYS: i64 = 90;
pub const EXPIRED_LINK_DAYS: i64 = 30;
pub const CLOSED_CASE_YEARS: i64 = 3;
pub const GATE_EVENT_DAYS: i64 = 7;
pub const GATE_TRACE_MONTHS: i64 = 13;
pub const CONSOLE_SIGN_IN_DAYS: i64 = 30;

/// What one kind's disposal removed.
#[derive(Debug, Clone, Serialize)]
pub struct OwnDisposal {
    pub kind: &'static str,
    pub cutoff_ms: Millis,
    pub rows: u64,
}

impl Runner {
    /// Removes Kapsel's own data past its period, under the lease `retention:kapsel`.
    pub async fn dispose_own(&self, options: &RunOptions) -> Result<Vec<OwnDisposal>, RunError> {
        let lease = "retention:kapsel";
        let now = self.clock.now_ms();
        if !self
            .store
            .take_lease(lease, &options.holder, now, options.lease_ms)
            .await?
        {
            return Ok(Vec::new());
        }
        let closed_cutoff = add_months_to_instant(now, -12 * CLOSED_CASE_YEARS).unwrap_or(0);
        let trace_cutoff = add_months_to_instant(now, -GATE_TRACE_MONTHS).unwrap_or(0);
        let mut done = Vec::new();
        for (kind, table, cutoff_ms) in [
            (
                "kapsel-sent-mail",
                "mail_outbox",
                now - SENT_MAIL_DAYS * DAY_MS,
            ),
            (
                "kapsel-expired-links",
                "desk_links",
                now - EXPIRED_LINK_DAYS * DAY_MS,
            ),
            ("kapsel-closed-cases", "desk_cases", closed_cutoff),
            (
                "kapsel-gate-events",
                "gate_events",
                now - GATE_EVENT_DAYS * DAY_MS,
            ),
            ("kapsel-gate-trace", "gate_deliveries", trace_cutoff),
            (
                "kapsel-console-sign-ins",
                "console_sign_in_failures",
                now - CONSOLE_SIGN_IN_DAYS * DAY_MS,
            ),
        ] {
            let rows = match kind {
                "kapsel-sent-mail" => self.store.delete_sent_mail(cutoff_ms).await?,
                "kapsel-expired-links" => self.store.delete_expired_links(cutoff_ms).await?,
                "kapsel-gate-events" => self.store.empty_settled_events(cutoff_ms).await?,
                "kapsel-gate-trace" => self.store.delete_gate_trace(cutoff_ms).await?,
                "kapsel-console-sign-ins" => {
                    self.store.prune_sign_ins(cutoff_ms, cutoff_ms).await?
                }
                _ => self.store.scrub_closed_cases(cutoff_ms).await?,
            };
            if rows == 0 {
                continue;
            }
            let counted = if matches!(kind, "kapsel-closed-cases" | "kapsel-gate-events") {
                "rows_anonymised"
            } else {
                "rows_deleted"
            };
            let detail = BTreeMap::from([
                ("table".to_owned(), table.to_owned()),
                ("dataset".to_owned(), "kapsel".to_owned()),
                ("cutoff_ms".to_owned(), cutoff_ms.to_string()),
                (counted.to_owned(), rows.to_string()),
                ("holder".to_owned(), options.holder.clone()),
            ]);
            self.store
                .append_disposal(
                    kind,
                    NewDisposal {
                        at_ms: self.clock.now_ms(),
                        actor: options.actor.clone(),
                        kind: DisposalKind::RunFinished,
                        detail,
                    },
                )
                .await?;
            done.push(OwnDisposal {
                kind,
                cutoff_ms,
                rows,
            });
        }
        let _ = self.store.release_lease(lease, &options.holder).await;
        Ok(done)
    }
}
