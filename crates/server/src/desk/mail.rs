//! The mails a privacy lead's actions send the requester, in the case's language, each queued
//! in the outbox and recorded in the case's history as `mail_sent` (its Message-ID and
//! template, never its body). The words are `notices`'s; the facts (the organisation's name,
//! the supervisory authority) come from the privacy file.

use kapsel_core::Lang;
use kapsel_core::desk::{Case, CaseEventKind, ErasureGround, NewCaseEvent, Right, iso_date};
use kapsel_mail::Outgoing;
use kapsel_store::{CaseStore, Outbox};

use super::notices::{self, Notice};
use super::texts::right_in_sentence;
use super::{DeskState, TARGET_RULE};
use crate::error::ApiError;

/// Fills the placeholders every notice shares, then `extra`.
fn fill(desk: &DeskState, case: &Case, text: &str, extra: &[(&str, &str)]) -> String {
    let file = &desk.sites.privacy;
    let mut out = text
        .replace("{org}", &file.organisation.name)
        .replace("{right}", right_in_sentence(&case.lang, case.right));
    for (key, value) in extra {
        out = out.replace(&format!("{{{key}}}"), value);
    }
    out
}

/// The right to complain, naming the authority when the privacy file does.
fn complaint(desk: &DeskState, case: &Case) -> String {
    let file = &desk.sites.privacy;
    let lang = Lang::new(&case.lang);
    match &file.organisation.authority {
        Some(authority) => {
            let name = authority
                .name
                .get(&lang, &file.languages)
                .unwrap_or_default();
            notices::complaint(&case.lang, true)
                .replace("{authority}", name)
                .replace("{url}", &authority.url)
        }
        None => notices::complaint(&case.lang, false).to_owned(),
    }
}

/// Queues `notice` to the requester and records it in the case.
async fn queue(
    desk: &DeskState,
    case: &Case,
    template: &str,
    notice: &Notice,
    extra: &[(&str, &str)],
) -> Result<(), ApiError> {
    let now = desk.clock.now_ms();
    let outgoing = Outgoing {
        to: case.email.clone(),
        subject: fill(desk, case, notice.subject, extra),
        body_text: fill(desk, case, notice.body, extra),
        template: template.to_owned(),
        case_id: Some(case.id.clone()),
    };
    let mail = kapsel_mail::compose(outgoing, &desk.sender()?, now, desk.random.as_ref())
        .map_err(|e| ApiError::internal("composing the notice", e))?;
    let message_id = mail.message_id.clone();
    desk.store
        .enqueue(mail)
        .await
        .map_err(|e| ApiError::internal("queueing the notice", e))?;
    let sent = NewCaseEvent {
        at_ms: now,
        actor: "kapsel".to_owned(),
        kind: CaseEventKind::MailSent {
            message_id,
            template: template.to_owned(),
        },
    };
    desk.store
        .append_event(&case.id, sent, TARGET_RULE)
        .await
        .map_err(|e| ApiError::internal("recording the notice", e))?;
    Ok(())
}

pub async fn send_verified(desk: &DeskState, case: &Case, link: &str) -> Result<(), ApiError> {
    let notice = notices::verified(&case.lang);
    queue(
        desk,
        case,
        "verified-other-means",
        &notice,
        &[("link", link)],
    )
    .await
}

pub async fn send_extended(
    desk: &DeskState,
    case: &Case,
    months: u32,
    reason: &str,
    link: &str,
) -> Result<(), ApiError> {
    let notice = notices::extended(&case.lang);
    let due = iso_date(case.dates.legal_due);
    let months = months.to_string();
    let extra = [
        ("months", months.as_str()),
        ("reason", reason),
        ("due", &due),
        ("link", link),
    ];
    queue(desk, case, "extended", &notice, &extra).await
}

pub async fn send_refused(
    desk: &DeskState,
    case: &Case,
    reason: &str,
    ground: Option<ErasureGround>,
) -> Result<(), ApiError> {
    let notice = notices::refused(&case.lang);
    let ground = ground.map_or(String::new(), |g| notices::ground(&case.lang, g).to_owned());
    let complaint = complaint(desk, case);
    let extra = [
        ("reason", reason),
        ("ground", &ground),
        ("complaint", &complaint),
    ];
    queue(desk, case, "refused", &notice, &extra).await
}

pub async fn send_completed(desk: &DeskState, case: &Case, link: &str) -> Result<(), ApiError> {
    let notice = notices::completed(&case.lang);
    let days = (desk.bundle_ttl_ms / (24 * 60 * 60 * 1000)).to_string();
    let extra = if matches!(case.right, Right::Access | Right::Portability) {
        notices::bundle_ready(&case.lang).replace("{days}", &days)
    } else {
        String::new()
    };
    let complaint = complaint(desk, case);
    let extra = [("link", link), ("extra", &extra), ("complaint", &complaint)];
    queue(desk, case, "completed", &notice, &extra).await
}
