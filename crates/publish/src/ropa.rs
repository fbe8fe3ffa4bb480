//! The record of processing activities (GDPR art. 30(1)(a)–(g)) for the authority: controller,
//! DPO and one row per activity. Exported as JSON (serde of these structs), CSV (one row per
//! activity, headers in the chosen language) and a print-friendly HTML page.

use serde::Serialize;

use kapsel_core::Lang;
use kapsel_core::privacy::PrivacyFile;

use crate::PublishError;
use crate::notice::{ActivityRecord, Controller, DpoContact, activity_record, controller, dpo};
use crate::words::Tongue;

/// The whole record in one language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordOfProcessing {
    pub lang: String,
    /// Art. 30(1)(a).
    pub controller: Controller,
    pub dpo: Option<DpoContact>,
    pub activities: Vec<ActivityRecord>,
}

/// Builds the record in `lang`.
pub fn record_of_processing(
    file: &PrivacyFile,
    lang: &Lang,
) -> Result<RecordOfProcessing, PublishError> {
    crate::check_lang(file, lang)?;
    Ok(RecordOfProcessing {
        lang: lang.to_string(),
        controller: controller(file),
        dpo: dpo(file, lang),
        activities: file
            .activities
            .iter()
            .map(|a| activity_record(a, lang, file))
            .collect(),
    })
}

/// Column headers with the art. 30(1) point each answers.
fn headers(lang: &Lang) -> Vec<&'static str> {
    let t = Tongue::of(lang);
    vec![
        "id",
        t.pick(
            "Behandlingsaktivitet",
            "Behandlingsaktivitet",
            "Processing activity",
        ),
        t.pick(
            "Behandlingsansvarlig (a)",
            "Behandlingsansvarleg (a)",
            "Controller (a)",
        ),
        t.pick("Kontakt (a)", "Kontakt (a)", "Contact (a)"),
        t.pick(
            "Personvernombud (a)",
            "Personvernombod (a)",
            "Data protection officer (a)",
        ),
        t.pick("Formål (b)", "Føremål (b)", "Purpose (b)"),
        t.pick("Behandlingsgrunnlag", "Behandlingsgrunnlag", "Legal basis"),
        t.pick(
            "Berettiget interesse",
            "Berettiga interesse",
            "Legitimate interest",
        ),
        t.pick(
            "Art. 9 nr. 2 bokstav",
            "Art. 9 nr. 2 bokstav",
            "Art. 9(2) point",
        ),
        t.pick("Registrerte (c)", "Registrerte (c)", "Data subjects (c)"),
        t.pick(
            "Personopplysninger (c)",
            "Personopplysningar (c)",
            "Personal data (c)",
        ),
        t.pick("Mottakere (d)", "Mottakarar (d)", "Recipients (d)"),
        t.pick(
            "Leverandører og roller (d)",
            "Leverandørar og roller (d)",
            "Providers and roles (d)",
        ),
        t.pick(
            "Overføringer og garantier (e)",
            "Overføringar og garantiar (e)",
            "Transfers and safeguards (e)",
        ),
        t.pick("Sletting (f)", "Sletting (f)", "Erasure time limits (f)"),
        t.pick(
            "Sikkerhetstiltak (g)",
            "Tryggingstiltak (g)",
            "Security measures (g)",
        ),
        t.pick("Kilde", "Kjelde", "Source"),
    ]
}

/// One CSV row ending in CRLF, as RFC 4180 writes it.
fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = crate::csv::row(fields);
    line.push_str("\r\n");
    line
}

impl RecordOfProcessing {
    /// RFC 4180 CSV, one row per activity; lists inside a cell are separated by "; ".
    pub fn to_csv(&self) -> String {
        let lang = Lang::new(&self.lang);
        let mut out = csv_line(&headers(&lang));
        let controller = format!("{} ({})", self.controller.name, self.controller.org_number);
        let contact = format!("{}, {}", self.controller.address, self.controller.email);
        let dpo = self
            .dpo
            .as_ref()
            .map_or_else(String::new, |d| format!("{}, {}", d.role, d.email));
        for activity in &self.activities {
            let parties = activity
                .parties
                .iter()
                .map(|p| match &p.role_label {
                    Some(role) => format!("{} ({}, {role})", p.name, p.country),
                    None => format!("{} ({})", p.name, p.country),
                })
                .collect::<Vec<_>>()
                .join("; ");
            let transfers = activity
                .transfers
                .iter()
                .map(|group| {
                    let safeguards = group
                        .safeguards
                        .iter()
                        .map(|s| match &s.note {
                            Some(note) => format!("{} – {note}", s.label),
                            None => s.label.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    match &group.provider {
                        Some(provider) => format!("{provider}: {}: {safeguards}", group.country),
                        None => format!("{}: {safeguards}", group.country),
                    }
                })
                .collect::<Vec<_>>()
                .join("; ");
            let mut retention = match &activity.retention_period {
                Some(period) if activity.retention_period_adds => {
                    format!("{} ({period})", activity.retention)
                }
                _ => activity.retention.clone(),
            };
            for rule in &activity.retention_rules {
                retention.push_str(&format!(" {rule}."));
            }
            for ground in &activity.retention_grounds {
                retention.push_str(&format!(" ({ground})"));
            }
            out.push_str(&csv_line(&[
                activity.id.clone(),
                activity.name.clone(),
                controller.clone(),
                contact.clone(),
                dpo.clone(),
                activity.purpose.clone(),
                activity.legal_basis_label.clone(),
                activity.legitimate_interest.clone().unwrap_or_default(),
                activity
                    .special_categories_condition
                    .clone()
                    .unwrap_or_default(),
                activity.data_subjects.clone(),
                activity.data_categories.clone(),
                activity.recipients.clone().unwrap_or_default(),
                parties,
                transfers,
                retention,
                activity.security_measures.clone().unwrap_or_default(),
                activity.source.clone().unwrap_or_default(),
            ]));
        }
        out
    }
}
