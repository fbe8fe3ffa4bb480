//! The form fields of the privacy centre's rights page: the e-mail address, one optional field
//! per `[[identifiers]]` entry, the receipt of a cookie choice, the rectification texts and the
//! activity choice, each labelled, hinted and (on a refused form) marked with its error.

use kapsel_core::Lang;
use kapsel_core::desk::Right;
use kapsel_core::privacy::PrivacyFile;

use super::frame::escape;
use super::texts::{Texts, texts};

/// The error text above a field at fault, and the `aria-invalid`/`aria-describedby` it gives
/// the field (`hint` is described after the error).
pub(super) fn field_error(id: &str, error: Option<&str>, hint: Option<&str>) -> (String, String) {
    let hint_ref = hint.map(|h| format!(" {h}")).unwrap_or_default();
    match error {
        Some(words) => (
            format!(
                "<p class=\"kapsel-error-text\" id=\"{id}-error\">{}</p>",
                escape(words)
            ),
            format!(" aria-invalid=\"true\" aria-describedby=\"{id}-error{hint_ref}\""),
        ),
        None => (
            String::new(),
            hint.map(|h| format!(" aria-describedby=\"{h}\""))
                .unwrap_or_default(),
        ),
    }
}

pub(super) fn email_field(t: &Texts, right: Right, value: &str, error: Option<&str>) -> String {
    let id = format!("{}-email", right.as_str());
    let hint = format!("{id}-hint");
    let (error_text, aria) = field_error(&id, error, Some(&hint));
    let value = if value.is_empty() {
        String::new()
    } else {
        format!(" value=\"{}\"", escape(value))
    };
    format!(
        "<label for=\"{id}\">{label}</label>\
         <p class=\"kapsel-hint\" id=\"{hint}\">{hint_text}</p>{error_text}\
         <input id=\"{id}\" name=\"email\" type=\"email\" required maxlength=\"254\" \
         autocomplete=\"email\"{aria}{value}>",
        label = escape(t.email_label),
        hint_text = escape(t.email_hint),
    )
}

/// One optional field per `[[identifiers]]` of the privacy file (customer number, phone, …),
/// labelled and hinted in the page's language, so the desk can find the requester's data.
pub(super) fn identifier_fields(
    file: &PrivacyFile,
    lang: &Lang,
    right: Right,
    value: &dyn Fn(&str) -> String,
) -> String {
    let mut out = String::new();
    for identifier in &file.identifiers {
        let id = format!("{}-{}", right.as_str(), identifier.id);
        let label = format!(
            "{} ({})",
            identifier
                .label
                .get(lang, &file.languages)
                .unwrap_or(&identifier.id),
            texts(lang.as_str()).optional
        );
        let hint = identifier
            .hint
            .as_ref()
            .and_then(|h| h.get(lang, &file.languages));
        let hint_id = format!("{id}-hint");
        let (hint_html, described) = match hint {
            Some(text) => (
                format!(
                    "<p class=\"kapsel-hint\" id=\"{hint_id}\">{}</p>",
                    escape(text)
                ),
                format!(" aria-describedby=\"{hint_id}\""),
            ),
            None => (String::new(), String::new()),
        };
        let current = value(&identifier.id);
        let current = if current.is_empty() {
            String::new()
        } else {
            format!(" value=\"{}\"", escape(&current))
        };
        out.push_str(&format!(
            "<label for=\"{id}\">{}</label>{hint_html}\
             <input id=\"{id}\" name=\"{}\" type=\"text\" maxlength=\"{}\"{described}{current}>",
            escape(&label),
            escape(&identifier.id),
            super::form::MAX_IDENTIFIER_CHARS,
        ));
    }
    out
}

/// The optional receipt id of the requester's cookie choice: its consent records go in the
/// access bundle.
pub(super) fn receipt_field(t: &Texts, right: Right, value: &str) -> String {
    let id = format!("{}-receipt", right.as_str());
    let current = if value.is_empty() {
        String::new()
    } else {
        format!(" value=\"{}\"", escape(value))
    };
    format!(
        "<label for=\"{id}\">{}</label><p class=\"kapsel-hint\" id=\"{id}-hint\">{}</p>\
         <input id=\"{id}\" name=\"receipt\" type=\"text\" maxlength=\"26\" \
         autocomplete=\"off\" spellcheck=\"false\" aria-describedby=\"{id}-hint\"{current}>",
        escape(t.receipt_label),
        escape(t.receipt_hint),
    )
}

pub(super) fn text_area(
    id: &str,
    name: &str,
    label: &str,
    value: &str,
    error: Option<&str>,
) -> String {
    let (error_text, aria) = field_error(id, error, None);
    format!(
        "<label for=\"{id}\">{label}</label>{error_text}\
         <textarea id=\"{id}\" name=\"{name}\" required maxlength=\"2000\" rows=\"3\"{aria}>{value}</textarea>",
        label = escape(label),
        value = escape(value),
    )
}

pub(super) fn activity_select(
    file: &PrivacyFile,
    lang: &Lang,
    t: &Texts,
    right: Right,
    selected: &str,
    error: Option<&str>,
) -> String {
    let id = format!("{}-activity", right.as_str());
    let (error_text, aria) = field_error(&id, error, None);
    let mut options = format!("<option value=\"\">{}</option>", escape(t.activity_choose));
    for activity in &file.activities {
        let name = activity
            .name
            .get(lang, &file.languages)
            .unwrap_or(activity.id.as_str());
        let chosen = if activity.id == selected {
            " selected"
        } else {
            ""
        };
        options.push_str(&format!(
            "<option value=\"{}\"{chosen}>{}</option>",
            escape(&activity.id),
            escape(name)
        ));
    }
    format!(
        "<label for=\"{id}\">{label}</label>{error_text}<select id=\"{id}\" name=\"activity\" required{aria}>{options}</select>",
        label = escape(t.activity_label)
    )
}
