//! Composing and rendering messages. Both go through the same checks: [`compose`] refuses a
//! bad message before it reaches the outbox (so a hostile request enqueues nothing), and
//! [`render`] checks a stored row again before it is sent or written (a row edited in the
//! database is refused, not delivered).

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use kapsel_core::Random;
use kapsel_store::{NewMail, OutboxMail};
use lettre::Address;
use lettre::message::{Mailbox, Message, SinglePart};

use crate::MailError;

/// Who the mail is from (`[mail] from`); its domain names the `Message-ID`s too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    mailbox: Mailbox,
}

impl Sender {
    /// Reads `Name <addr@domain>` or `addr@domain`; `field` names the setting in errors.
    pub fn parse(text: &str, field: &'static str) -> Result<Sender, MailError> {
        no_line_break(text, field)?;
        let mailbox = Mailbox::from_str(text.trim()).map_err(|err| MailError::BadAddress {
            field,
            reason: err.to_string(),
        })?;
        Ok(Sender { mailbox })
    }

    /// The sender without SMTP: a `.invalid` address (RFC 2606), so a written `.eml` cannot be
    /// mistaken for mail from a real domain.
    pub fn unconfigured() -> Result<Sender, MailError> {
        Sender::parse("Kapsel <kapsel@kapsel.invalid>", "the built-in sender")
    }

    pub fn mailbox(&self) -> &Mailbox {
        &self.mailbox
    }

    pub fn domain(&self) -> &str {
        self.mailbox.email.domain()
    }
}

/// A message someone wants sent, before it is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub body_text: String,
    /// Which text this is (`test-message`, `verify-link`…).
    pub template: String,
    pub case_id: Option<String>,
}

fn no_line_break(value: &str, field: &'static str) -> Result<(), MailError> {
    if value.contains(['\r', '\n']) {
        Err(MailError::LineBreak { field })
    } else {
        Ok(())
    }
}

/// The recipient as one bare address: line breaks refused first (so the error says why),
/// then parsed by lettre, which refuses anything else that is not an address.
fn recipient(to: &str) -> Result<Address, MailError> {
    const FIELD: &str = "the recipient (To)";
    no_line_break(to, FIELD)?;
    Address::from_str(to).map_err(|err| MailError::BadAddress {
        field: FIELD,
        reason: err.to_string(),
    })
}

fn subject(text: &str) -> Result<&str, MailError> {
    const FIELD: &str = "the subject";
    no_line_break(text, FIELD)?;
    if text.trim().is_empty() {
        return Err(MailError::Empty { field: FIELD });
    }
    Ok(text)
}

/// Checks `outgoing` and gives it an id and a `Message-ID` (`<hex@sender's domain>`) from
/// `random`, created at `now_ms`: the row to enqueue.
pub fn compose(
    outgoing: Outgoing,
    sender: &Sender,
    now_ms: i64,
    random: &dyn Random,
) -> Result<NewMail, MailError> {
    let to = recipient(&outgoing.to)?;
    subject(&outgoing.subject)?;
    let id = hex::encode(random.bytes16());
    let message_id = format!("<{}@{}>", hex::encode(random.bytes16()), sender.domain());
    let mail = NewMail {
        id,
        created_ms: now_ms,
        to_addr: to.to_string(),
        subject: outgoing.subject,
        body_text: outgoing.body_text,
        message_id,
        template: outgoing.template,
        case_id: outgoing.case_id,
    };
    // Built once now, so a message the builder would refuse is refused before it is enqueued.
    build(
        &mail.to_addr,
        &mail.subject,
        &mail.message_id,
        &mail.body_text,
        mail.created_ms,
        sender,
    )?;
    Ok(mail)
}

/// The stored message `mail` as a lettre [`Message`] from `sender`, checked again.
pub fn render(mail: &OutboxMail, sender: &Sender) -> Result<Message, MailError> {
    build(
        &mail.to_addr,
        &mail.subject,
        &mail.message_id,
        &mail.body_text,
        mail.created_ms,
        sender,
    )
}

fn build(
    to: &str,
    subject_text: &str,
    message_id: &str,
    body_text: &str,
    created_ms: i64,
    sender: &Sender,
) -> Result<Message, MailError> {
    let to = recipient(to)?;
    let subject_text = subject(subject_text)?;
    no_line_break(message_id, "the Message-ID")?;
    let date = SystemTime::UNIX_EPOCH
        + Duration::from_millis(u64::try_from(created_ms).unwrap_or_default());
    Message::builder()
        .from(sender.mailbox.clone())
        .to(Mailbox::new(None, to))
        .subject(subject_text)
        .message_id(Some(message_id.to_string()))
        .date(date)
        // A single part, so that MIME-Version comes with the Content-Type (RFC 2045).
        .singlepart(SinglePart::plain(body_text.to_string()))
        .map_err(|err| MailError::Build(err.to_string()))
}

/// `message` as RFC 5322 bytes: what a `.eml` file holds and what SMTP sends.
pub fn to_eml(message: &Message) -> Vec<u8> {
    message.formatted()
}

#[cfg(test)]
mod tests {
    use kapsel_core::random::CountingRandom;

    use super::*;

    fn outgoing(to: &str, subject: &str) -> Outgoing {
        Outgoing {
            to: to.into(),
            subject: subject.into(),
            body_text: "Hei,\nthis is fictional.\n".into(),
            template: "test-message".into(),
            case_id: None,
        }
    }

    fn sender() -> Sender {
        Sender::parse("Kapsel personvern <personvern@example.no>", "[mail] from").unwrap()
    }

    #[test]
    fn a_message_renders_with_its_headers_and_a_message_id_on_the_senders_domain() {
        let random = CountingRandom::starting_at(7);
        let mail = compose(
            outgoing("kari@example.no", "Kapsel test message"),
            &sender(),
            1_767_225_600_000,
            &random,
        )
        .unwrap();
        assert!(mail.message_id.starts_with('<') && mail.message_id.ends_with("@example.no>"));
        assert_ne!(mail.id, mail.message_id);
        let stored = OutboxMail {
            id: mail.id.clone(),
            created_ms: mail.created_ms,
            to_addr: mail.to_addr.clone(),
            subject: mail.subject.clone(),
            body_text: mail.body_text.clone(),
            message_id: mail.message_id.clone(),
            template: mail.template.clone(),
            case_id: None,
            state: kapsel_store::MailState::Queued,
            attempts: 0,
            next_attempt_ms: mail.created_ms,
            last_error: None,
            sent_ms: None,
        };
        let eml = String::from_utf8(to_eml(&render(&stored, &sender()).unwrap())).unwrap();
        assert!(eml.contains("To: kari@example.no\r\n"), "{eml}");
        assert!(eml.contains("Subject: Kapsel test message\r\n"), "{eml}");
        assert!(
            eml.contains(&format!("Message-ID: {}\r\n", mail.message_id)),
            "{eml}"
        );
        assert!(
            eml.contains("Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"),
            "{eml}"
        );
        assert!(eml.contains("personvern@example.no"), "{eml}");
        assert!(eml.contains("MIME-Version: 1.0\r\n"), "{eml}");
        assert!(
            eml.contains("Content-Type: text/plain; charset=utf-8\r\n"),
            "{eml}"
        );
    }

    #[test]
    fn line_breaks_and_non_addresses_are_refused_naming_the_field() {
        let random = CountingRandom::starting_at(1);
        for (to, subject, field) in [
            (
                "a@example.no\r\nBcc: x@example.no",
                "s",
                "the recipient (To)",
            ),
            ("a@example.no\nBcc: x@example.no", "s", "the recipient (To)"),
            ("a@example.no", "Hi\r\nBcc: x@example.no", "the subject"),
            ("a@example.no", "Hi\rthere", "the subject"),
        ] {
            let error = compose(outgoing(to, subject), &sender(), 0, &random).unwrap_err();
            assert!(
                matches!(error, MailError::LineBreak { field: f } if f == field),
                "{error}"
            );
        }
        for to in [
            "not an address",
            "Kari <kari@example.no>",
            "a@example.no, b@example.no",
            "",
        ] {
            let error = compose(outgoing(to, "s"), &sender(), 0, &random).unwrap_err();
            assert!(
                matches!(error, MailError::BadAddress { .. }),
                "{to:?}: {error}"
            );
        }
        let error =
            Sender::parse("Kapsel\r\nBcc: x@example.no <a@example.no>", "[mail] from").unwrap_err();
        assert_eq!(
            error.to_string(),
            "[mail] from must not contain a line break (CR or LF)"
        );
        assert!(Sender::parse("nobody", "[mail] from").is_err());
    }
}
