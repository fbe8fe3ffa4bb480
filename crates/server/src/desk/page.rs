//! The privacy centre's HTML: the rights page with one form per right, the "check your e-mail"
//! answer, the one refusal page for every bad link, and the status page. Server-rendered, no
//! script; the stylesheet is the document pages' (`kapsel-publish`'s `base.html`) with form
//! rules added (the frame around each page is [`super::frame`]'s). Every value from the privacy
//! file or the request is escaped.

use std::collections::BTreeMap;

use kapsel_core::Lang;
use kapsel_core::desk::{Case, Right};
use kapsel_core::privacy::PrivacyFile;

use super::fields::{activity_select, email_field, identifier_fields, receipt_field, text_area};
use super::form::Fault;
use super::frame::{Frame, escape, frame};
use super::texts::{Texts, right_words, state_words, texts};

/// The rights shown with a form, in the page's order.
pub const FORM_RIGHTS: [Right; 6] = [
    Right::Access,
    Right::Rectification,
    Right::Erasure,
    Right::Restriction,
    Right::Objection,
    Right::Portability,
];

/// A refused submission shown again: what was wrong, which form it came from (none when the
/// right is unknown) and the fields as submitted, to fill that form in again.
pub struct Refused {
    pub fault: Fault,
    pub right: Option<Right>,
    pub fields: BTreeMap<String, String>,
}

impl Refused {
    fn value(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    /// The id of the field at fault in its form, and the words saying what is wrong.
    fn target(&self, t: &Texts) -> (String, &'static str) {
        let right = self.right.unwrap_or(Right::Access);
        let id = right.as_str();
        match self.fault {
            Fault::Email => (format!("{id}-email"), t.error_email),
            Fault::Missing("wrong") => ("rectification-wrong".to_owned(), t.error_wrong_missing),
            Fault::Missing(_) => ("rectification-right".to_owned(), t.error_correct_missing),
            Fault::TooLong("wrong") => ("rectification-wrong".to_owned(), t.error_wrong_long),
            Fault::TooLong(_) => ("rectification-right".to_owned(), t.error_correct_long),
            Fault::Activity => (format!("{id}-activity"), t.error_activity),
            Fault::Right => (format!("{id}-email"), t.error_right),
            Fault::Form => (format!("{id}-email"), t.error_form),
        }
    }

    /// Whether the field with `id` is the one at fault (the ones a fault names in words).
    fn faults(&self, t: &Texts, id: &str) -> Option<&'static str> {
        let (target, words) = self.target(t);
        let names_field = !matches!(self.fault, Fault::Right | Fault::Form);
        (names_field && target == id).then_some(words)
    }
}

/// The summary at the top of a refused form (or of the page, for an unknown right): a live
/// alert whose link moves focus to the field.
fn error_summary(t: &Texts, refused: &Refused) -> String {
    let (target, words) = refused.target(t);
    format!(
        "<div class=\"kapsel-error\" role=\"alert\"><p><strong>{}</strong></p>\
         <ul><li><a href=\"#{}\">{}</a></li></ul></div>",
        escape(t.error_summary),
        escape(&target),
        escape(words),
    )
}

/// The rights page: who the controller is, one form per right, and how to withdraw cookie
/// consent. `notice` is shown above the forms (the answer after a request).
pub fn rights_page(file: &PrivacyFile, site: &str, lang: &Lang, notice: Option<&str>) -> String {
    rights_page_with(file, site, lang, notice, None)
}

/// The rights page after a refused submission: the summary at the top of the form it came
/// from, the field at fault marked, and what the person typed filled in again (escaped).
pub fn refused_form_page(file: &PrivacyFile, site: &str, lang: &Lang, refused: &Refused) -> String {
    rights_page_with(file, site, lang, None, Some(refused))
}

fn rights_page_with(
    file: &PrivacyFile,
    site: &str,
    lang: &Lang,
    notice: Option<&str>,
    refused: Option<&Refused>,
) -> String {
    let code = lang.as_str();
    let t = texts(code);
    let org = &file.organisation;
    let action = format!("/sites/{}/rights?lang={}", escape(site), escape(code));
    let mut main = format!("<h1>{}</h1>\n", escape(t.title));
    if let Some(notice) = notice {
        main.push_str(notice);
    }
    if let Some(refused) = refused.filter(|r| r.right.is_none()) {
        main.push_str(&error_summary(t, refused));
        main.push('\n');
    }
    main.push_str(&format!(
        "<p>{}</p>\n<dl class=\"kapsel-facts\"><dt>{}</dt><dd>{}, {}</dd><dt>{}</dt><dd><a href=\"mailto:{}\">{}</a></dd></dl>\n",
        escape(&t.intro.replace("{org}", &org.name)),
        escape(t.controller),
        escape(&org.name),
        escape(&org.address),
        escape(t.contact_email),
        escape(&org.email),
        escape(&org.email),
    ));
    main.push_str("<div class=\"kapsel-rights\">\n");
    for right in FORM_RIGHTS {
        let (heading, explanation) = right_words(code, right);
        let id = right.as_str();
        let this = refused.filter(|r| r.right == Some(right));
        let value = |name: &str| this.map_or("", |r| r.value(name));
        let error = |field: &str| this.and_then(|r| r.faults(t, field));
        let mut fields = this.map(|r| error_summary(t, r)).unwrap_or_default();
        fields.push_str(&email_field(
            t,
            right,
            value("email"),
            error(&format!("{id}-email")),
        ));
        fields.push_str(&identifier_fields(file, lang, right, &|name| {
            value(name).to_owned()
        }));
        if matches!(right, Right::Access | Right::Portability) {
            fields.push_str(&receipt_field(t, right, value("receipt")));
        }
        match right {
            Right::Rectification => {
                fields.push_str(&text_area(
                    "rectification-wrong",
                    "wrong",
                    t.wrong_label,
                    value("wrong"),
                    error("rectification-wrong"),
                ));
                fields.push_str(&text_area(
                    "rectification-right",
                    "correct",
                    t.right_label,
                    value("correct"),
                    error("rectification-right"),
                ));
            }
            Right::Restriction | Right::Objection => {
                let activity = format!("{id}-activity");
                fields.push_str(&activity_select(
                    file,
                    lang,
                    t,
                    right,
                    value("activity"),
                    error(&activity),
                ));
            }
            _ => {}
        }
        main.push_str(&format!(
            "<section class=\"kapsel-right\" aria-labelledby=\"{id}-heading\">\
             <h2 id=\"{id}-heading\">{heading}</h2><p>{explanation}</p>\
             <form method=\"post\" action=\"{action}\">\
             <input type=\"hidden\" name=\"right\" value=\"{id}\">{fields}\
             <button type=\"submit\">{submit}</button></form></section>\n",
            heading = escape(heading),
            explanation = escape(explanation),
            submit = escape(t.submit),
        ));
    }
    main.push_str("</div>\n");
    main.push_str(&format!(
        "<section aria-labelledby=\"withdraw-heading\"><h2 id=\"withdraw-heading\">{}</h2><p>{}</p>\
         <p><a href=\"/sites/{}/cookies?lang={}\">{}</a></p></section>\n",
        escape(t.withdraw_heading),
        escape(t.withdraw_text),
        escape(site),
        escape(code),
        escape(t.cookies_link),
    ));
    frame(
        &Frame {
            file,
            site,
            lang,
            title: t.title,
            path: Some(&format!("/sites/{}/rights", escape(site))),
        },
        &main,
    )
}

/// The answer to every accepted request, whatever the address.
/// `minutes`: how long the link in the mail works.
pub fn sent_notice(lang: &str, minutes: i64) -> String {
    let t = texts(lang);
    format!(
        "<div class=\"kapsel-notice\" role=\"status\"><h2>{}</h2><p>{}</p></div>\n",
        escape(t.sent_heading),
        escape(&t.sent_text.replace("{minutes}", &minutes.to_string()))
    )
}

/// The one page for every link that does not open a case.
pub fn refused_page(file: &PrivacyFile, site: &str, lang: &Lang) -> String {
    let t = texts(lang.as_str());
    let main = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<p><a href=\"/sites/{}/rights?lang={}\">{}</a></p>\n",
        escape(t.refused_heading),
        escape(t.refused_text),
        escape(site),
        escape(lang.as_str()),
        escape(t.back),
    );
    frame(
        &Frame {
            file,
            site,
            lang,
            title: t.refused_heading,
            path: None,
        },
        &main,
    )
}

/// A day as the requester reads it: "2. mars 2026", "2 March 2026".
pub fn day_in_words(lang: &str, year: i32, month: u8, day: u8) -> String {
    let t = texts(lang);
    let name = t
        .months
        .get(usize::from(month.saturating_sub(1)))
        .copied()
        .unwrap_or_default();
    match lang {
        "nb" | "nn" => format!("{day}. {name} {year}"),
        _ => format!("{day} {name} {year}"),
    }
}

/// The bundle's link on the status page and the last day it can be downloaded.
pub struct Download<'a> {
    pub href: &'a str,
    pub until: (i32, u8, u8),
}

/// The status page behind a status link: the right, the state, the day received and the
/// legal due date (the internal target is the desk's, not the requester's); `download` once an
/// answered access request's bundle can be downloaded.
pub fn status_page(
    file: &PrivacyFile,
    lang: &Lang,
    case: &Case,
    received: (i32, u8, u8),
    download: Option<&Download>,
) -> String {
    let code = lang.as_str();
    let t = texts(code);
    let due = case.dates.legal_due;
    let due_words = day_in_words(code, due.year(), u8::from(due.month()), due.day());
    let received_words = day_in_words(code, received.0, received.1, received.2);
    let main = format!(
        "<h1>{}</h1>\n<dl class=\"kapsel-facts\">\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>\
         <dt>{}</dt><dd><time datetime=\"{:04}-{:02}-{:02}\">{}</time></dd>\
         <dt>{}</dt><dd><time datetime=\"{}\">{}</time></dd></dl>\n{}",
        escape(t.status_heading),
        escape(t.status_right),
        escape(right_words(code, case.right).0),
        escape(t.status_state),
        escape(state_words(code, case.state)),
        escape(t.status_received),
        received.0,
        received.1,
        received.2,
        escape(&received_words),
        escape(t.status_due),
        kapsel_core::desk::iso_date(due),
        escape(&due_words),
        // Once the case is closed the deadline is history, not a promise.
        if case.state.is_terminal() {
            String::new()
        } else {
            format!("<p>{}</p>\n", escape(t.status_due_note))
        },
    );
    let main = match download {
        Some(download) => {
            let (y, m, d) = download.until;
            let until = t
                .bundle_until
                .replace("{date}", &day_in_words(code, y, m, d));
            format!(
                "{main}<h2>{}</h2>\n<p>{}</p>\n<p>{}</p>\n<p><a href=\"{}\" download>{}</a></p>\n",
                escape(t.bundle_heading),
                escape(t.bundle_text),
                escape(&until),
                escape(download.href),
                escape(t.bundle_link),
            )
        }
        None => main,
    };
    frame(
        &Frame {
            file,
            site: &case.site,
            lang,
            title: t.status_heading,
            path: None,
        },
        &main,
    )
}
