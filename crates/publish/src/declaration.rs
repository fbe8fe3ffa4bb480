//! The cookie declaration of one site in one language, as plain data: every cookie and storage
//! key the site's services set, grouped by consent category, with the words a visitor reads.
//! Its JSON export is `serde_json` of these structs; the HTML and Markdown come from templates.

use serde::Serialize;

use kapsel_core::Lang;
use kapsel_core::privacy::{
    Cookie, NECESSARY, Party, PrivacyFile, Safeguard, Service, StorageKind, Transfer,
};

use crate::words::{country_name, duration_text_in_words, label};
use crate::{PublishError, localized};

/// The declaration of one site in one language.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CookieDeclaration {
    pub site_id: String,
    pub site_name: String,
    pub lang: String,
    pub categories: Vec<DeclaredCategory>,
}

/// One consent category and the cookies in it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeclaredCategory {
    pub id: String,
    pub label: String,
    pub description: String,
    /// Always on; these cookies carry a justification.
    pub necessary: bool,
    pub cookies: Vec<DeclaredCookie>,
}

/// One cookie or storage key as a visitor reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeclaredCookie {
    /// The exact name, or the start of the names when `prefix` is true.
    pub name: String,
    pub prefix: bool,
    pub kind: StorageKind,
    pub kind_label: String,
    pub party: Party,
    pub party_label: String,
    /// The domain a third-party cookie is set on.
    pub domain: Option<String>,
    pub service_id: String,
    pub service_name: String,
    pub provider: String,
    pub provider_country: String,
    pub purpose: String,
    /// As written in the privacy file ("13 months").
    pub duration: String,
    /// In words in this language ("13 måneder").
    pub duration_words: String,
    /// Countries outside the EEA the data goes to; empty when it stays in the EEA.
    pub transfers: Vec<DeclaredTransfer>,
    /// Why the site cannot work without it (necessary cookies only).
    pub justification: Option<String>,
    pub privacy_policy: Option<String>,
}

/// A transfer to a third country with its safeguard, in words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeclaredTransfer {
    pub country: String,
    pub country_name: String,
    pub safeguard: Safeguard,
    pub safeguard_label: String,
    pub note: Option<String>,
}

/// The safeguard of a transfer in words; defined with the other legal terms in `words`.
pub use crate::words::safeguard_label;

pub(crate) fn declared_transfers(
    transfers: &[Transfer],
    lang: &Lang,
    file: &PrivacyFile,
) -> Vec<DeclaredTransfer> {
    transfers
        .iter()
        .map(|transfer| DeclaredTransfer {
            country: transfer.country.to_ascii_uppercase(),
            country_name: country_name(&transfer.country, lang),
            safeguard: transfer.safeguard,
            safeguard_label: safeguard_label(transfer.safeguard, lang).to_owned(),
            note: transfer
                .note
                .as_ref()
                .map(|note| localized(note, lang, file)),
        })
        .collect()
}

fn kind_label(kind: StorageKind, lang: &Lang) -> &'static str {
    let key = match kind {
        StorageKind::Cookie => "kind_cookie",
        StorageKind::LocalStorage => "kind_local_storage",
        StorageKind::SessionStorage => "kind_session_storage",
        StorageKind::IndexedDb => "kind_indexed_db",
        StorageKind::Pixel => "kind_pixel",
    };
    label(lang, key)
}

fn declared_cookie(
    cookie: &Cookie,
    service: &Service,
    necessary: bool,
    lang: &Lang,
    file: &PrivacyFile,
) -> DeclaredCookie {
    let purpose = cookie.purpose.as_ref().unwrap_or(&service.purpose);
    DeclaredCookie {
        name: cookie.name.clone(),
        prefix: cookie.prefix,
        kind: cookie.kind,
        kind_label: kind_label(cookie.kind, lang).to_owned(),
        party: cookie.party,
        party_label: label(
            lang,
            if cookie.party == Party::Third {
                "party_third"
            } else {
                "party_first"
            },
        )
        .to_owned(),
        domain: cookie.domain.clone(),
        service_id: service.id.clone(),
        service_name: service.name.clone(),
        provider: service.provider.name.clone(),
        provider_country: country_name(&service.provider.country, lang),
        purpose: localized(purpose, lang, file),
        duration: cookie.duration.clone(),
        duration_words: duration_text_in_words(&cookie.duration, lang),
        transfers: declared_transfers(&service.transfers, lang, file),
        justification: necessary
            .then(|| {
                service
                    .justification
                    .as_ref()
                    .map(|j| localized(j, lang, file))
            })
            .flatten(),
        privacy_policy: service.privacy_policy.clone(),
    }
}

/// Builds the declaration of `site_id` in `lang`. Categories keep the file's order with
/// `necessary` first; cookies keep service and file order.
pub fn cookie_declaration(
    file: &PrivacyFile,
    site_id: &str,
    lang: &Lang,
) -> Result<CookieDeclaration, PublishError> {
    let site = file
        .site(site_id)
        .ok_or_else(|| PublishError::UnknownSite(site_id.to_owned()))?;
    crate::check_lang(file, lang)?;
    let services = file.services_for_site(site_id);
    let categories =
        file.categories_with_necessary()
            .iter()
            .map(|category| {
                let necessary = category.id == NECESSARY;
                let cookies = services
                    .iter()
                    .filter(|service| service.category == category.id)
                    .flat_map(|service| {
                        service.cookies.iter().map(move |cookie| {
                            declared_cookie(cookie, service, necessary, lang, file)
                        })
                    })
                    .collect();
                DeclaredCategory {
                    id: category.id.clone(),
                    label: localized(&category.label, lang, file),
                    description: localized(&category.description, lang, file),
                    necessary,
                    cookies,
                }
            })
            .collect();
    Ok(CookieDeclaration {
        site_id: site.id.clone(),
        site_name: site.name.clone(),
        lang: lang.to_string(),
        categories,
    })
}
