//! Each `Change` as one plain sentence in nb, nn or en, with durations, countries, safeguards
//! and legal bases in words.

use kapsel_core::privacy::StorageKind;
use kapsel_core::{Lang, Text};

use super::Change;
use crate::notice::legal_basis_label;
use crate::words::{Tongue, country_name, duration_text_in_words, safeguard_label, storage_noun};

/// The text in `lang`, else English, else any.
fn pick(text: &Text, lang: &Lang) -> String {
    text.get(lang, &[Lang::new("en"), Lang::new("nb")])
        .or_else(|| text.0.values().next().map(String::as_str))
        .unwrap_or("")
        .to_owned()
}

fn lower_first(words: String) -> String {
    let mut chars = words.chars();
    match chars.next() {
        Some(first) if !words.starts_with(|c: char| c.is_ascii_digit()) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => words,
    }
}

fn upper_first(words: &str) -> String {
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "Ny informasjonskapsel", "Ny nøkkel i lokal lagring", …: how an added entry is introduced.
fn new_entry(kind: StorageKind, t: Tongue) -> &'static str {
    match kind {
        StorageKind::Cookie => t.pick(
            "Ny informasjonskapsel",
            "Ny informasjonskapsel",
            "New cookie",
        ),
        StorageKind::LocalStorage => t.pick(
            "Ny nøkkel i lokal lagring",
            "Ny nøkkel i lokal lagring",
            "New local storage key",
        ),
        StorageKind::SessionStorage => t.pick(
            "Ny nøkkel i øktlagring",
            "Ny nøkkel i øktlagring",
            "New session storage key",
        ),
        StorageKind::IndexedDb => t.pick(
            "Ny IndexedDB-database",
            "Ny IndexedDB-database",
            "New IndexedDB database",
        ),
        StorageKind::Pixel => t.pick(
            "Ny sporingspiksel",
            "Ny sporingspiksel",
            "New tracking pixel",
        ),
    }
}

fn cookie_label(name: &str, prefix: bool) -> String {
    if prefix {
        format!("{name}…")
    } else {
        name.to_owned()
    }
}

impl Change {
    /// The change as one plain sentence in `lang`.
    pub fn sentence(&self, lang: &Lang) -> String {
        let t = Tongue::of(lang);
        let words = |duration: &str| lower_first(duration_text_in_words(duration, lang));
        let (q1, q2) = match t {
            Tongue::English => ("“", "”"),
            _ => ("«", "»"),
        };
        let quote = |text: &Text| format!("{q1}{}{q2}", pick(text, lang));
        match self {
            Change::ServiceAdded {
                service,
                provider,
                category,
            } => format!(
                "{} {service} {} {provider} ({}).",
                t.pick("Ny tjeneste:", "Ny teneste:", "New service:"),
                t.pick("fra", "frå", "from"),
                pick(category, lang)
            ),
            Change::ServiceRemoved { service, provider } => t
                .pick(
                    "Tjenesten {s} fra {p} er fjernet.",
                    "Tenesta {s} frå {p} er fjerna.",
                    "The service {s} from {p} was removed.",
                )
                .replace("{s}", service)
                .replace("{p}", provider),
            Change::ServiceCategoryChanged { service, from, to } => format!(
                "{service} {} {} {} {}.",
                t.pick(
                    "er flyttet fra kategorien",
                    "er flytta frå kategorien",
                    "moved from the category"
                ),
                quote(from),
                t.pick("til", "til", "to"),
                quote(to)
            ),
            Change::ServicePurposeChanged { service, to } => format!(
                "{} {service}: {}",
                t.pick("Nytt formål for", "Nytt føremål for", "New purpose for"),
                pick(to, lang)
            ),
            Change::ProviderChanged { service, from, to } => t
                .pick(
                    "{s} leveres nå av {to} (før: {from}).",
                    "{s} blir no levert av {to} (før: {from}).",
                    "{s} is now provided by {to} (before: {from}).",
                )
                .replace("{s}", service)
                .replace("{to}", to)
                .replace("{from}", from),
            Change::CookieAdded {
                service,
                storage,
                cookie,
                prefix,
                duration,
            } => format!(
                "{} {} {} {service}, {}: {}.",
                new_entry(*storage, t),
                cookie_label(cookie, *prefix),
                t.pick("fra", "frå", "from"),
                t.pick("varighet", "varigheit", "duration"),
                words(duration)
            ),
            Change::CookieRemoved {
                service,
                storage,
                cookie,
                prefix,
            } => format!(
                "{} {} {} {service} {}.",
                upper_first(storage_noun(*storage, lang)),
                cookie_label(cookie, *prefix),
                t.pick("fra", "frå", "from"),
                t.pick("er fjernet", "er fjerna", "was removed"),
            ),
            Change::CookieDurationChanged {
                service,
                storage,
                cookie,
                prefix,
                from,
                to,
            } => format!(
                "{} {} {} {} {service}: {} ({} {}).",
                t.pick("Ny varighet for", "Ny varigheit for", "New duration for"),
                storage_noun(*storage, lang),
                cookie_label(cookie, *prefix),
                t.pick("fra", "frå", "from"),
                words(to),
                t.pick("før:", "før:", "before:"),
                words(from)
            ),
            Change::CookiePurposeChanged {
                service,
                storage,
                cookie,
                prefix,
                to,
            } => format!(
                "{} {} {} {} {service}: {}",
                t.pick("Nytt formål for", "Nytt føremål for", "New purpose for"),
                storage_noun(*storage, lang),
                cookie_label(cookie, *prefix),
                t.pick("fra", "frå", "from"),
                pick(to, lang)
            ),
            Change::TransferAdded {
                by,
                country,
                safeguard,
            } => format!(
                "{} {} {}; {} {}.",
                pick(by, lang),
                t.pick(
                    "overfører nå opplysninger til",
                    "overfører no opplysningar til",
                    "now transfers data to"
                ),
                country_name(country, lang),
                t.pick("grunnlag:", "grunnlag:", "safeguard:"),
                lower_first(safeguard_label(*safeguard, lang).to_owned())
            ),
            Change::TransferRemoved { by, country } => format!(
                "{} {} {}.",
                pick(by, lang),
                t.pick(
                    "overfører ikke lenger opplysninger til",
                    "overfører ikkje lenger opplysningar til",
                    "no longer transfers data to"
                ),
                country_name(country, lang)
            ),
            Change::CategoryAdded { category } => {
                format!(
                    "{} {}.",
                    t.pick("Ny kategori:", "Ny kategori:", "New category:"),
                    pick(category, lang)
                )
            }
            Change::CategoryRemoved { category } => t
                .pick(
                    "Kategorien {c} er fjernet.",
                    "Kategorien {c} er fjerna.",
                    "The category {c} was removed.",
                )
                .replace("{c}", &quote(category)),
            Change::ActivityAdded { activity } => format!(
                "{} {}.",
                t.pick(
                    "Ny behandling av personopplysninger:",
                    "Ny behandling av personopplysningar:",
                    "New processing of personal data:"
                ),
                pick(activity, lang)
            ),
            Change::ActivityRemoved { activity } => t
                .pick(
                    "Behandlingen {a} er avsluttet.",
                    "Behandlinga {a} er avslutta.",
                    "The processing {a} has ended.",
                )
                .replace("{a}", &quote(activity)),
            Change::ActivityPurposeChanged { activity, to } => format!(
                "{} {}: {}",
                t.pick("Nytt formål for", "Nytt føremål for", "New purpose for"),
                quote(activity),
                pick(to, lang)
            ),
            Change::LegalBasisChanged { activity, from, to } => format!(
                "{} {}: {} ({} {}).",
                t.pick(
                    "Nytt behandlingsgrunnlag for",
                    "Nytt behandlingsgrunnlag for",
                    "New legal basis for"
                ),
                quote(activity),
                lower_first(legal_basis_label(*to, lang).to_owned()),
                t.pick("før:", "før:", "before:"),
                lower_first(legal_basis_label(*from, lang).to_owned())
            ),
            Change::RetentionChanged { activity, from, to } => format!(
                "{} {}: {} ({} {})",
                t.pick(
                    "Ny lagringstid for",
                    "Ny lagringstid for",
                    "New retention for"
                ),
                quote(activity),
                pick(to, lang),
                t.pick("før:", "før:", "before:"),
                pick(from, lang)
            ),
            Change::RetentionRuleChanged {
                activity,
                table,
                from,
                to,
            } => format!(
                "{} {} ({} {table}): {} ({} {})",
                t.pick(
                    "Ny lagringstid for",
                    "Ny lagringstid for",
                    "New retention for"
                ),
                quote(activity),
                t.pick("tabellen", "tabellen", "table"),
                lower_first(duration_text_in_words(to, lang)),
                t.pick("før:", "før:", "before:"),
                lower_first(duration_text_in_words(from, lang))
            ),
            Change::RecipientsChanged { activity, to } => format!(
                "{} {}: {}",
                t.pick(
                    "Nye mottakere for",
                    "Nye mottakarar for",
                    "New recipients for"
                ),
                quote(activity),
                to.as_ref().map_or_else(
                    || t.pick("ingen.", "ingen.", "none.").to_owned(),
                    |to| pick(to, lang)
                )
            ),
            Change::ProcessorAdded {
                activity,
                processor,
            } => format!(
                "{} {}: {processor}.",
                t.pick("Ny leverandør for", "Ny leverandør for", "New provider for"),
                quote(activity)
            ),
            Change::ProcessorRemoved {
                activity,
                processor,
            } => format!(
                "{processor} {} {}.",
                t.pick(
                    "er ikke lenger leverandør for",
                    "er ikkje lenger leverandør for",
                    "is no longer a provider for"
                ),
                quote(activity)
            ),
            Change::ControllerChanged { name } => t
                .pick(
                    "Kontaktopplysningene til {n} som behandlingsansvarlig er endret.",
                    "Kontaktopplysningane til {n} som behandlingsansvarleg er endra.",
                    "The contact details of the controller, {n}, changed.",
                )
                .replace("{n}", name),
        }
    }
}
