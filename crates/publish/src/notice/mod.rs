//! The privacy notice (GDPR art. 13, and art. 14 where data comes from elsewhere) of one site in
//! one language, as plain data: controller and contacts, each processing activity with every
//! art. 13(1)–(2) item, the data subject's rights and how to use them, withdrawing consent, the
//! complaint to the authority, and the operator's own sections.

use serde::Serialize;

use kapsel_core::Lang;
use kapsel_core::privacy::{Activity, CountedFrom, LegalBasis, PrivacyFile, RetentionAction};

use crate::words::{Tongue, duration_text_in_words, label};
use crate::{PublishError, localized};

mod parties;
mod texts;

pub use parties::{PartyEntry, SafeguardEntry, TransferGroup, parties, transfer_groups};
pub use texts::legal_basis_label;
use texts::{default_requirement, rights, withdraw_consent};

/// The notice of one site in one language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrivacyNotice {
    pub site_id: String,
    pub site_name: String,
    pub lang: String,
    pub controller: Controller,
    pub dpo: Option<DpoContact>,
    pub activities: Vec<ActivityRecord>,
    pub rights: Vec<Right>,
    /// How to use the rights above (where to write, the one-month deadline, identity check).
    pub rights_how: String,
    pub withdraw_consent: Right,
    pub authority: AuthorityContact,
    pub complaint: String,
    pub sections: Vec<OperatorSection>,
}

/// Art. 13(1)(a).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Controller {
    pub name: String,
    pub org_number: String,
    pub address: String,
    pub country: String,
    pub email: String,
    pub phone: Option<String>,
}

/// Art. 13(1)(b): the data protection officer's role and contact, never a person's name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DpoContact {
    pub role: String,
    pub email: String,
    pub phone: Option<String>,
}

/// Art. 13(2)(d).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthorityContact {
    pub name: String,
    pub url: String,
    pub address: Option<String>,
}

/// One processing activity with every item art. 13 and art. 30(1) ask for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActivityRecord {
    pub id: String,
    pub name: String,
    /// Art. 13(1)(c), 30(1)(b).
    pub purpose: String,
    /// Art. 13(1)(c): GDPR art. 6(1) point.
    pub legal_basis: LegalBasis,
    pub legal_basis_letter: String,
    pub legal_basis_label: String,
    /// Art. 13(1)(d).
    pub legitimate_interest: Option<String>,
    /// Art. 9(2) point where special categories are processed.
    pub special_categories_condition: Option<String>,
    /// Art. 30(1)(c); art. 14(1)(d).
    pub data_categories: String,
    pub data_subjects: String,
    /// Art. 13(1)(e), 30(1)(d): recipients other than processors.
    pub recipients: Option<String>,
    /// Art. 13(1)(e), 26, 28: the providers of the activity's services, each with the role the
    /// file declares (none when it does not), and its named processors.
    pub parties: Vec<PartyEntry>,
    /// Art. 13(1)(f), 30(1)(e): the services' transfers by provider and country, then the
    /// activity's own.
    pub transfers: Vec<TransferGroup>,
    /// Art. 13(2)(a), 30(1)(f).
    pub retention: String,
    /// The machine-readable period in words ("25 måneder").
    pub retention_period: Option<String>,
    /// Whether `retention` does not already say the period in words, so that it is worth
    /// adding ("høyst 13 måneder" is not followed by "(13 måneder)").
    pub retention_period_adds: bool,
    /// What the activity's `[[retention]]` rules make happen, one sentence each without its
    /// full stop ("Det vi selv lagrer, slettes automatisk etter 25 måneder"): the same rules the
    /// retention engine runs.
    pub retention_rules: Vec<String>,
    /// The rules' grounds as the file writes them, for the record of processing.
    pub retention_grounds: Vec<String>,
    /// Art. 14(2)(f); `None` when the data is collected from the person.
    pub source: Option<String>,
    /// Art. 13(2)(e).
    pub requirement: String,
    /// Art. 13(2)(f), as the file says it; `None` when the file says nothing, and then the
    /// notice says nothing either (never "no automated decisions" on its own authority).
    pub automated_decisions: Option<String>,
    /// Art. 30(1)(g).
    pub security_measures: Option<String>,
}

/// A data-subject right (art. 15–22) or the right to withdraw consent (art. 7(3)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Right {
    pub id: &'static str,
    pub article: &'static str,
    pub title: &'static str,
    pub text: &'static str,
}

/// An operator-written section: a title and plain-text paragraphs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorSection {
    pub title: String,
    pub paragraphs: Vec<String>,
}

/// One sentence per retention rule of `activity`, each said once.
fn rule_sentences(activity: &Activity, lang: &Lang, file: &PrivacyFile) -> Vec<String> {
    let t = Tongue::of(lang);
    let mut out: Vec<String> = Vec::new();
    for rule in file.retention.iter().filter(|r| r.activity == activity.id) {
        let anonymised = matches!(rule.action, RetentionAction::Anonymise(_));
        // The rules run in the operator's own datasets, so the sentence is about what the
        // operator stores itself, never about what a processor keeps.
        let verb = match (rule.filter.is_empty(), anonymised) {
            (true, false) => t.pick(
                "Det vi selv lagrer, slettes automatisk etter",
                "Det vi sjølve lagrar, blir sletta automatisk etter",
                "What we store ourselves is deleted automatically after",
            ),
            (true, true) => t.pick(
                "Det vi selv lagrer, anonymiseres automatisk etter",
                "Det vi sjølve lagrar, blir anonymisert automatisk etter",
                "What we store ourselves is anonymised automatically after",
            ),
            (false, false) => t.pick(
                "Deler av det vi selv lagrer, slettes automatisk etter",
                "Delar av det vi sjølve lagrar, blir sletta automatisk etter",
                "Some of what we store ourselves is deleted automatically after",
            ),
            (false, true) => t.pick(
                "Deler av det vi selv lagrer, anonymiseres automatisk etter",
                "Delar av det vi sjølve lagrar, blir anonymisert automatisk etter",
                "Some of what we store ourselves is anonymised automatically after",
            ),
        };
        let from = match rule.counted_from {
            CountedFrom::Timestamp => "",
            CountedFrom::EndOfYear => t.pick(
                " regnet fra utgangen av året",
                " rekna frå utgangen av året",
                " counted from the end of the year",
            ),
        };
        let sentence = format!(
            "{verb} {}{from}",
            duration_text_in_words(&rule.period, lang)
        );
        if !out.contains(&sentence) {
            out.push(sentence);
        }
    }
    out
}

/// One activity with its processors and transfers resolved.
pub fn activity_record(activity: &Activity, lang: &Lang, file: &PrivacyFile) -> ActivityRecord {
    let text = |t: &kapsel_core::Text| localized(t, lang, file);
    let services: Vec<_> = activity
        .services
        .iter()
        .filter_map(|id| file.service(id))
        .collect();
    let retention = text(&activity.retention);
    let retention_period = activity
        .retention_period
        .as_deref()
        .map(|period| duration_text_in_words(period, lang));
    let retention_period_adds = retention_period
        .as_ref()
        .is_some_and(|period| !retention.to_lowercase().contains(&period.to_lowercase()));
    ActivityRecord {
        id: activity.id.clone(),
        name: text(&activity.name),
        purpose: text(&activity.purpose),
        legal_basis: activity.legal_basis,
        legal_basis_letter: activity.legal_basis.letter().to_string(),
        legal_basis_label: legal_basis_label(activity.legal_basis, lang).to_owned(),
        legitimate_interest: activity.legitimate_interest.as_ref().map(text),
        special_categories_condition: activity.special_categories_condition.clone(),
        data_categories: text(&activity.data_categories),
        data_subjects: text(&activity.data_subjects),
        recipients: activity.recipients.as_ref().map(text),
        parties: parties(activity, &services, lang, file),
        transfers: transfer_groups(activity, &services, lang, file),
        retention,
        retention_period,
        retention_period_adds,
        retention_rules: rule_sentences(activity, lang, file),
        retention_grounds: file
            .retention
            .iter()
            .filter(|r| r.activity == activity.id)
            .map(|r| r.ground.clone())
            .collect(),
        source: activity.source.as_ref().map(text),
        requirement: activity.requirement.as_ref().map_or_else(
            || default_requirement(activity.legal_basis, lang).to_owned(),
            text,
        ),
        automated_decisions: activity.automated_decisions.as_ref().map(text),
        security_measures: activity.security_measures.as_ref().map(text),
    }
}

fn authority(file: &PrivacyFile, lang: &Lang) -> AuthorityContact {
    match &file.organisation.authority {
        Some(authority) => AuthorityContact {
            name: localized(&authority.name, lang, file),
            url: authority.url.clone(),
            address: authority.address.clone(),
        },
        None => AuthorityContact {
            name: Tongue::of(lang)
                .pick(
                    "Datatilsynet",
                    "Datatilsynet",
                    "Datatilsynet (the Norwegian Data Protection Authority)",
                )
                .to_owned(),
            url: "https://www.datatilsynet.no".to_owned(),
            address: Some("Postboks 458 Sentrum, 0105 Oslo".to_owned()),
        },
    }
}

pub(crate) fn controller(file: &PrivacyFile) -> Controller {
    let org = &file.organisation;
    Controller {
        name: org.name.clone(),
        org_number: org.org_number.clone(),
        address: org.address.clone(),
        country: org.country.clone(),
        email: org.email.clone(),
        phone: org.phone.clone(),
    }
}

pub(crate) fn dpo(file: &PrivacyFile, lang: &Lang) -> Option<DpoContact> {
    file.organisation.dpo.as_ref().map(|dpo| DpoContact {
        role: localized(&dpo.role, lang, file),
        email: dpo.email.clone(),
        phone: dpo.phone.clone(),
    })
}

/// Builds the notice of `site_id` in `lang`.
pub fn privacy_notice(
    file: &PrivacyFile,
    site_id: &str,
    lang: &Lang,
) -> Result<PrivacyNotice, PublishError> {
    let site = file
        .site(site_id)
        .ok_or_else(|| PublishError::UnknownSite(site_id.to_owned()))?;
    crate::check_lang(file, lang)?;
    let dpo = dpo(file, lang);
    let contact_email = dpo
        .as_ref()
        .map_or(file.organisation.email.as_str(), |d| d.email.as_str());
    let authority = authority(file, lang);
    Ok(PrivacyNotice {
        site_id: site.id.clone(),
        site_name: site.name.clone(),
        lang: lang.to_string(),
        controller: controller(file),
        activities: file
            .activities
            .iter()
            .map(|a| activity_record(a, lang, file))
            .collect(),
        rights: rights(lang),
        rights_how: label(lang, "rights_how").replace("{email}", contact_email),
        withdraw_consent: withdraw_consent(lang),
        complaint: label(lang, "complaint_text").replace("{authority}", &authority.name),
        authority,
        dpo,
        sections: file
            .notice
            .sections
            .iter()
            .map(|section| OperatorSection {
                title: localized(&section.title, lang, file),
                paragraphs: localized(&section.body, lang, file)
                    .split("\n\n")
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect(),
            })
            .collect(),
    })
}
