//! A request as the privacy centre's form posts it (`application/x-www-form-urlencoded`),
//! checked before anything is written: one plain e-mail address (no CR/LF, at most 254
//! characters), a right that has a form, the rectification texts (at most 2000 characters
//! each) and the activity of a restriction or objection, declared in the privacy file. Each
//! refusal names its field.

use std::collections::BTreeMap;

use kapsel_core::desk::Right;
use kapsel_core::privacy::PrivacyFile;

use super::page::FORM_RIGHTS;
use crate::error::ApiError;

/// Longest accepted text field, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Longest accepted address (RFC 5321's path limit less the brackets).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Largest accepted form body: two texts of [`MAX_TEXT_CHARS`] characters, each up to 12 bytes
/// once percent-encoded, and the rest. The edge accepts this much on the form's path even when
/// the configured body limit is smaller.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Whether `path` is where the form posts (`/sites/{site}/rights`).
pub fn is_rights_form(path: &str) -> bool {
    path.strip_prefix("/sites/")
        .and_then(|rest| rest.strip_suffix("/rights"))
        .is_some_and(|site| !site.is_empty() && !site.contains('/'))
}

/// A checked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsRequest {
    pub right: Right,
    pub email: String,
    /// What the case row keeps beside the address: the rectification texts
    /// (`rectification.wrong`, `rectification.correct`) or the `activity`.
    pub details: BTreeMap<String, String>,
}

const FIELDS: [&str; 5] = ["right", "email", "wrong", "correct", "activity"];

/// A refused submission: what the HTML page tells a person (`fault`) and the problem an API
/// client gets (`problem`, naming the field). Made together, so the page never has to guess
/// the fault from the problem's wording.
#[derive(Debug)]
pub struct Refusal {
    pub fault: Fault,
    pub problem: ApiError,
}

impl Refusal {
    pub fn new(fault: Fault, field: impl Into<String>, message: impl Into<String>) -> Refusal {
        Refusal {
            fault,
            problem: ApiError::parameter(field, message),
        }
    }
}

/// Parses and checks a form body against the privacy file.
pub fn parse(body: &[u8], file: &PrivacyFile) -> Result<RightsRequest, Refusal> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|error| Refusal::new(Fault::Form, "body", format!("not a form body: {error}")))?;
    let mut fields: BTreeMap<&str, String> = BTreeMap::new();
    let declared: Vec<&str> = FIELDS
        .iter()
        .copied()
        .chain(file.identifiers.iter().map(|i| i.id.as_str()))
        .chain([RECEIPT])
        .collect();
    for (key, value) in pairs {
        let Some(known) = declared.iter().find(|f| **f == key) else {
            return Err(Refusal::new(
                Fault::Form,
                key.clone(),
                format!(
                    "unknown field `{key}`; the form sends {}",
                    declared.join(", ")
                ),
            ));
        };
        if fields.insert(known, value).is_some() {
            return Err(Refusal::new(
                Fault::Form,
                *known,
                format!("`{known}` is given twice"),
            ));
        }
    }
    let right_name = fields.get("right").map(String::as_str).unwrap_or_default();
    let right = right_name
        .parse::<Right>()
        .ok()
        .filter(|right| FORM_RIGHTS.contains(right))
        .ok_or_else(|| {
            Refusal::new(
                Fault::Right,
                "right",
                format!(
                    "unknown right `{right_name}`; use one of access, rectification, erasure, \
                     restriction, objection, portability"
                ),
            )
        })?;
    let email = fields.get("email").cloned().unwrap_or_default();
    check_email(&email).map_err(|problem| Refusal {
        fault: Fault::Email,
        problem,
    })?;
    let mut details = BTreeMap::new();
    match right {
        Right::Rectification => {
            for (field, key) in [
                ("wrong", "rectification.wrong"),
                ("correct", "rectification.correct"),
            ] {
                let text = fields.get(field).map(|t| t.trim()).unwrap_or_default();
                if text.is_empty() {
                    return Err(Refusal::new(
                        Fault::Missing(field),
                        field,
                        format!("`{field}` is required for rectification"),
                    ));
                }
                if text.chars().count() > MAX_TEXT_CHARS {
                    return Err(Refusal::new(
                        Fault::TooLong(field),
                        field,
                        format!("`{field}` is longer than {MAX_TEXT_CHARS} characters"),
                    ));
                }
                details.insert(key.to_owned(), text.to_owned());
            }
        }
        Right::Restriction | Right::Objection => {
            let id = fields
                .get("activity")
                .map(String::as_str)
                .unwrap_or_default();
            if !file.activities.iter().any(|a| a.id == id) {
                return Err(Refusal::new(
                    Fault::Activity,
                    "activity",
                    "`activity` must be one of the activities the privacy file declares",
                ));
            }
            details.insert("activity".to_owned(), id.to_owned());
        }
        _ => {}
    }
    for identifier in file
        .identifiers
        .iter()
        .map(|i| i.id.as_str())
        .chain([RECEIPT])
    {
        let value = fields.get(identifier).map(|v| v.trim()).unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        if value.chars().count() > MAX_IDENTIFIER_CHARS || value.chars().any(char::is_control) {
            return Err(Refusal::new(
                Fault::Form,
                identifier,
                format!(
                    "`{identifier}` must be one line of at most {MAX_IDENTIFIER_CHARS} characters"
                ),
            ));
        }
        details.insert(identifier.to_owned(), value.to_owned());
    }
    for field in ["wrong", "correct"] {
        if fields
            .get(field)
            .is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS)
        {
            return Err(Refusal::new(
                Fault::TooLong(field),
                field,
                format!("`{field}` is longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
    }
    Ok(RightsRequest {
        right,
        email,
        details,
    })
}

/// The longest identifier (customer number, phone, receipt id) a form takes.
pub const MAX_IDENTIFIER_CHARS: usize = 200;

/// The field a requester may give the receipt id of their cookie choice in, so its consent
/// records go in their access bundle.
const RECEIPT: &str = crate::desk::work::RECEIPT;

/// What is wrong with a refused submission, as the HTML page words it for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The address is missing, not one plain address, or refused by the mail builder.
    Email,
    /// A rectification text (`wrong` or `correct`) is empty.
    Missing(&'static str),
    /// A rectification text (`wrong` or `correct`) is over [`MAX_TEXT_CHARS`].
    TooLong(&'static str),
    /// The activity is not one the privacy file declares.
    Activity,
    /// The right is missing or has no form.
    Right,
    /// The body itself is malformed (not a form, an unknown or repeated field).
    Form,
}

/// The fields of a refused body as submitted, to fill the form in again; empty when the body is
/// not a form. Repeated fields keep their first value.
pub fn submitted(body: &[u8]) -> BTreeMap<String, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut fields = BTreeMap::new();
    for (key, value) in pairs {
        if FIELDS.contains(&key.as_str()) {
            fields.entry(key).or_insert(value);
        }
    }
    fields
}

/// One plain address, `local@domain`: the local part of RFC 5322 atoms and dots, the domain of
/// letters, digits, hyphens and dots; no display name, no comment, no quoting, no line break.
pub fn check_email(email: &str) -> Result<(), ApiError> {
    let refuse = |why: &str| Err(ApiError::parameter("email", format!("`email` {why}")));
    if email.is_empty() {
        return refuse("is required");
    }
    if email.contains(['\r', '\n']) {
        return refuse("must not hold a line break");
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return refuse("is longer than 254 characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return refuse("must be one address, name@example.org");
    };
    let atom = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let local_ok = !local.is_empty()
        && local
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(atom));
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok {
        Ok(())
    } else {
        refuse("must be one plain address, name@example.org")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_larger_body_limit_is_for_the_form_path_only() {
        assert!(is_rights_form("/sites/www/rights"));
        for other in [
            "/sites/www/rights/verify",
            "/sites//rights",
            "/sites/a/b/rights",
            "/v1/consent",
            "/sites/www/privacy",
        ] {
            assert!(!is_rights_form(other), "{other}");
        }
    }

    #[test]
    fn only_plain_addresses_pass() {
        for good in [
            "kari.nordmann@example.no",
            "o'neil+desk@sub.example.org",
            "a@b.no",
        ] {
            assert!(check_email(good).is_ok(), "{good}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        for bad in [
            "",
            "kari",
            "kari@",
            "@example.org",
            "kari@example",
            "kari@@example.org",
            "a@b@example.org",
            "Kari <kari@example.org>",
            "kari@example.org\r\nBcc: x@example.org",
            "kari@example.org\n",
            "kari@example.org, ola@example.org",
            "' OR '1'='1",
            "x@example.org'; DROP TABLE desk_cases;--",
            "\"kari\"@example.org",
            "kari..n@example.org",
            long.as_str(),
        ] {
            assert!(check_email(bad).is_err(), "{bad:?}");
        }
    }
}
