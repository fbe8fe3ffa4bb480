//! A request case as the desk holds it, and the two pure steps that change one: [`open`] (a
//! new request and its `received` event) and [`advance`] (the next event, checked against the
//! state table, the legal clock and the details each event needs, then sealed after the head).
//! The store runs these inside its transactions; nothing here reads a clock or a database.

use std::collections::BTreeMap;

use super::dates::CaseDates;
use super::event::{CaseEvent, CaseEventKind, NewCaseEvent, VerifyMethod};
use super::right::Right;
use super::state::{CaseState, TransitionError, next_state};
use crate::clock::Millis;
use crate::consent::{GENESIS_HASH, is_receipt_id};
use crate::deadline::{DeadlineError, ExtensionError, TargetRule};

/// A request as it arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// 26 Crockford base32 characters, chosen by the caller (like a receipt id).
    pub id: String,
    pub site: String,
    pub right: Right,
    /// Where the answer goes.
    pub email: String,
    /// What the privacy file asks the requester for (customer number, phone, …).
    pub identifiers: BTreeMap<String, String>,
    /// Stamped by the caller from its clock.
    pub received_ms: Millis,
    /// Who opened it: `requester`, or `user:<name>` for a request taken by phone or letter.
    pub actor: String,
    /// The language the request was made in (`nb`, `nn`, `en`); the case's mails use it.
    pub lang: String,
}

/// A case: the request, where it stands, its dates and the head of its history. The email and
/// identifiers live here, not in the history, so that they can be erased while the history
/// stays as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: String,
    pub site: String,
    pub right: Right,
    pub state: CaseState,
    pub email: String,
    pub identifiers: BTreeMap<String, String>,
    pub received_ms: Millis,
    pub dates: CaseDates,
    pub head_seq: i64,
    pub head_hash: String,
    /// When the last event happened.
    pub updated_ms: Millis,
    /// The language the request was made in; the case's mails use it.
    pub lang: String,
}

/// Why a request could not be opened as a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenRefused {
    #[error("a case id is 26 Crockford base32 characters, not {0:?}")]
    BadId(String),
    #[error("{0} is empty")]
    Blank(&'static str),
    #[error("{0:?} is not an e-mail address")]
    BadEmail(String),
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
}

/// Why an event was not appended. Nothing is written for a refused event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventRefused {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("the extension was refused: {0}")]
    Extension(#[from] ExtensionError),
    /// A text the event needs is empty: the art. 12(4) reason of a refusal, the note of a
    /// verification by other means, the question of a pause, …
    #[error("the {event} event needs its {field}")]
    Blank {
        event: &'static str,
        field: &'static str,
    },
    /// Art. 17(3): an erasure is refused only on one of its grounds, and the requester is told
    /// which.
    #[error("refusing an erasure needs its art. 17(3) ground")]
    ErasureGroundMissing,
    #[error("an art. 17(3) ground applies only to refusing an erasure, not {0}")]
    GroundNotForErasure(Right),
    #[error("the case lapses at {lapses_at_ms}, not before")]
    NotYetLapsed { lapses_at_ms: Millis },
    /// Events are appended in time order.
    #[error("the event at {at_ms} is before the case's last event at {last_ms}")]
    BeforeLastEvent { at_ms: Millis, last_ms: Millis },
}

/// Opens a case for `new` with dates by `rule`, and its first event (`received`, seq 1).
pub fn open(new: NewCase, rule: TargetRule) -> Result<(Case, CaseEvent), OpenRefused> {
    if !is_receipt_id(&new.id) {
        return Err(OpenRefused::BadId(new.id));
    }
    for (field, value) in [("site", &new.site), ("actor", &new.actor)] {
        if value.trim().is_empty() {
            return Err(OpenRefused::Blank(field));
        }
    }
    if !plausible_email(&new.email) {
        return Err(OpenRefused::BadEmail(new.email));
    }
    let dates = CaseDates::at_receipt(new.received_ms, rule)?;
    let event = CaseEvent::seal(
        &new.id,
        1,
        GENESIS_HASH,
        NewCaseEvent {
            at_ms: new.received_ms,
            actor: new.actor,
            kind: CaseEventKind::Received {
                site: new.site.clone(),
                right: new.right,
            },
        },
    );
    let case = Case {
        id: new.id,
        site: new.site,
        right: new.right,
        state: CaseState::Received,
        email: new.email,
        identifiers: new.identifiers,
        received_ms: new.received_ms,
        dates,
        head_seq: 1,
        head_hash: event.hash.clone(),
        updated_ms: new.received_ms,
        lang: new.lang,
    };
    Ok((case, event))
}

/// One `@` with text on both sides, and nothing that could end a mail header line or hide in
/// it. Whether the address receives mail is what the verification link finds out.
fn plausible_email(email: &str) -> bool {
    let mut parts = email.split('@');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(local), Some(domain), None) if !local.is_empty() && !domain.is_empty()
    ) && email.len() <= 254
        && !email.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The case after `event`, and the event sealed after the case's head. `rule` is the desk's
/// target rule, used when the event extends the period; `event.at_ms` is "now" for the
/// extension and lapse checks.
pub fn advance(
    case: &Case,
    event: NewCaseEvent,
    rule: TargetRule,
) -> Result<(Case, CaseEvent), EventRefused> {
    let name = event.kind.name();
    let blank = |field| EventRefused::Blank { event: name, field };
    if event.actor.trim().is_empty() {
        return Err(blank("actor"));
    }
    if event.at_ms < case.updated_ms {
        return Err(EventRefused::BeforeLastEvent {
            at_ms: event.at_ms,
            last_ms: case.updated_ms,
        });
    }
    let state = next_state(case.state, &event.kind)?;
    let mut dates = case.dates;
    match &event.kind {
        CaseEventKind::Verified {
            method: VerifyMethod::OtherMeans,
            note,
        } if note.trim().is_empty() => return Err(blank("note")),
        CaseEventKind::Paused { question } if question.trim().is_empty() => {
            return Err(blank("question"));
        }
        CaseEventKind::Extended { months, reason } => {
            dates = case
                .dates
                .extended(case.received_ms, *months, reason, event.at_ms, rule)?;
        }
        CaseEventKind::Refused { reason, ground } => {
            if reason.trim().is_empty() {
                return Err(blank("art. 12(4) reason"));
            }
            match (case.right, ground) {
                (Right::Erasure, None) => return Err(EventRefused::ErasureGroundMissing),
                (Right::Erasure, Some(_)) | (_, None) => {}
                (other, Some(_)) => return Err(EventRefused::GroundNotForErasure(other)),
            }
        }
        CaseEventKind::Lapsed if event.at_ms < case.dates.lapses_at_ms => {
            return Err(EventRefused::NotYetLapsed {
                lapses_at_ms: case.dates.lapses_at_ms,
            });
        }
        CaseEventKind::Note { text } if text.trim().is_empty() => return Err(blank("text")),
        CaseEventKind::MailSent {
            message_id,
            template,
        } => {
            if message_id.trim().is_empty() {
                return Err(blank("message id"));
            }
            if template.trim().is_empty() {
                return Err(blank("template"));
            }
        }
        _ => {}
    }
    let at_ms = event.at_ms;
    let sealed = CaseEvent::seal(&case.id, case.head_seq + 1, &case.head_hash, event);
    let next = Case {
        state,
        dates,
        head_seq: sealed.seq,
        head_hash: sealed.hash.clone(),
        updated_ms: at_ms,
        ..case.clone()
    };
    Ok((next, sealed))
}

#[cfg(test)]
#[path = "case_tests.rs"]
mod tests;
