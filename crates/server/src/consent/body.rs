//! The strict schema of `POST /v1/consent`: a JSON body read field by field into a
//! [`ConsentChoice`], so every problem names its field and all problems are reported together.
//! Checks against the privacy file (known site, category, service, language) happen here too,
//! and so does the refusal of a choice that contradicts its action (`reject_all` granting
//! analytics, …; the rules are `kapsel_core::consent::coherence`). The revision check needs the
//! store and lives in the handler.

use std::collections::BTreeMap;

use kapsel_core::consent::{ConsentAction, ConsentChoice, SiteConsent, is_receipt_id, proof};
use kapsel_core::privacy::{NECESSARY, PrivacyFile};
use serde_json::{Map, Value};

use crate::error::{ApiError, FieldError};

const FIELDS: [&str; 9] = [
    "site",
    "revision",
    "language",
    "action",
    "categories",
    "services",
    "previous_receipt",
    "receipt_secret",
    "gpc",
];

/// Longest accepted string for ids, revisions and languages; longer is certainly not declared.
const MAX_TOKEN_LEN: usize = 128;

/// A valid body: the choice to record, and the secret of the receipt it replaces (the proof
/// that the client holds `previous_receipt`; checked against the ledger by the handler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentBody {
    pub choice: ConsentChoice,
    pub receipt_secret: Option<String>,
}

/// Parses the raw body: 400 for bytes that are not JSON, 422 naming each bad field otherwise.
pub fn parse_choice(body: &[u8], privacy: &PrivacyFile) -> Result<ConsentBody, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|err| ApiError::MalformedJson {
        reason: format!("{err}"),
    })?;
    let Value::Object(object) = value else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    let mut errors = Vec::new();
    for key in object.keys() {
        if !FIELDS.contains(&key.as_str()) {
            errors.push(FieldError::new(
                key.clone(),
                format!("unknown field; expected one of {}", FIELDS.join(", ")),
            ));
        }
    }

    let site_id = required_string(&object, "site", &mut errors);
    let site = site_id.and_then(|id| {
        let found = privacy.sites.iter().find(|s| s.id == id);
        if found.is_none() {
            errors.push(FieldError::new("site", format!("unknown site {id:?}")));
        }
        found
    });
    let revision = required_string(&object, "revision", &mut errors);
    let language = required_string(&object, "language", &mut errors).and_then(|tag| {
        let declared = privacy.declared_language(tag).cloned();
        if declared.is_none() {
            errors.push(FieldError::new(
                "language",
                format!(
                    "unknown language {tag:?}; declared: {}",
                    privacy.language_list()
                ),
            ));
        }
        declared
    });
    let action = required_string(&object, "action", &mut errors).and_then(|name| {
        let action = ConsentAction::parse(name);
        if action.is_none() {
            let names: Vec<&str> = ConsentAction::ALL.iter().map(|a| a.as_str()).collect();
            errors.push(FieldError::new(
                "action",
                format!(
                    "unknown action {name:?}; expected one of {}",
                    names.join(", ")
                ),
            ));
        }
        action
    });

    let categories = choice_map(&object, "categories", &mut errors, |id| {
        id == NECESSARY || privacy.categories.iter().any(|c| c.id == id)
    });
    if categories.get(NECESSARY) == Some(&false) {
        errors.push(FieldError::new(
            "categories.necessary",
            "strictly necessary storage cannot be refused; send true or leave it out",
        ));
    }
    let site_services: Option<&Vec<String>> = site.and_then(|s| s.services.as_ref());
    let services = choice_map(&object, "services", &mut errors, |id| {
        privacy.services.iter().any(|s| s.id == id)
            && site_services.is_none_or(|listed| listed.iter().any(|l| l == id))
    });

    let previous_receipt = match object.get("previous_receipt") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if is_receipt_id(id) => Some(id.clone()),
        Some(Value::String(_)) => {
            errors.push(FieldError::new(
                "previous_receipt",
                "must be a receipt id (26 characters of Crockford base32)",
            ));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(
                "previous_receipt",
                "must be a string or null",
            ));
            None
        }
    };
    let receipt_secret = match object.get("receipt_secret") {
        None | Some(Value::Null) => None,
        Some(Value::String(secret)) if proof::is_secret(secret) => Some(secret.clone()),
        Some(_) => {
            errors.push(FieldError::new(
                "receipt_secret",
                format!(
                    "must be the receipt_secret of the previous receipt ({} lower-case hex digits)",
                    proof::SECRET_LEN
                ),
            ));
            None
        }
    };
    if receipt_secret.is_some() && previous_receipt.is_none() {
        errors.push(FieldError::new(
            "receipt_secret",
            "is only sent with previous_receipt, as the proof of holding it",
        ));
    }
    let gpc = match object.get("gpc") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => {
            errors.push(FieldError::new("gpc", "must be true or false"));
            false
        }
    };

    match (site_id, revision, language, action) {
        (Some(site), Some(revision), Some(language), Some(action)) if errors.is_empty() => {
            let mut categories = categories;
            categories.insert(NECESSARY.to_owned(), true);
            let choice = ConsentChoice {
                site: site.to_owned(),
                revision: revision.to_owned(),
                language,
                action,
                categories,
                services,
                previous_receipt,
                gpc,
            };
            refuse_contradictions(&choice, privacy)?;
            Ok(ConsentBody {
                choice,
                receipt_secret,
            })
        }
        _ => Err(ApiError::Invalid(errors)),
    }
}

/// 422 naming each field where the choice contradicts its action (`kapsel_core::consent::coherence`).
fn refuse_contradictions(choice: &ConsentChoice, privacy: &PrivacyFile) -> Result<(), ApiError> {
    let Some(site) = SiteConsent::of(privacy, &choice.site) else {
        return Ok(());
    };
    let errors: Vec<FieldError> = site
        .contradictions(choice)
        .into_iter()
        .map(|c| FieldError::new(c.field, c.message))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(errors))
    }
}

fn required_string<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    match object.get(field) {
        Some(Value::String(text)) if text.is_empty() => {
            errors.push(FieldError::new(field, "must not be empty"));
            None
        }
        Some(Value::String(text)) if text.len() > MAX_TOKEN_LEN => {
            errors.push(FieldError::new(
                field,
                format!("must be at most {MAX_TOKEN_LEN} characters"),
            ));
            None
        }
        Some(Value::String(text)) => Some(text),
        Some(_) => {
            errors.push(FieldError::new(field, "must be a string"));
            None
        }
        None => {
            errors.push(FieldError::new(field, "is required"));
            None
        }
    }
}

/// An optional `{ "id": true|false }` object whose keys must all be `known`.
fn choice_map(
    object: &Map<String, Value>,
    field: &str,
    errors: &mut Vec<FieldError>,
    known: impl Fn(&str) -> bool,
) -> BTreeMap<String, bool> {
    let mut out = BTreeMap::new();
    match object.get(field) {
        None | Some(Value::Null) => {}
        Some(Value::Object(entries)) => {
            for (id, granted) in entries {
                let path = format!("{field}.{id}");
                if !known(id) {
                    let what = if field == "categories" {
                        "category"
                    } else {
                        "service on this site"
                    };
                    errors.push(FieldError::new(path, format!("unknown {what} {id:?}")));
                } else if let Value::Bool(granted) = granted {
                    out.insert(id.clone(), *granted);
                } else {
                    errors.push(FieldError::new(path, "must be true or false"));
                }
            }
        }
        Some(_) => errors.push(FieldError::new(
            field,
            "must be an object of id → true/false",
        )),
    }
    out
}
