//! Who takes part in a processing activity, and where the data goes: each service's provider with
//! the role the privacy file gives it (never a guessed "processor"), the activity's named
//! processors, and the transfers outside the EEA grouped by provider and country, so that
//! "USA: standard personvernbestemmelser" is said once per provider, naming it.

use serde::Serialize;

use kapsel_core::Lang;
use kapsel_core::privacy::{Activity, PrivacyFile, Safeguard, Service, ServiceRole, Transfer};

use crate::localized;
use crate::words::{country_name, role_label, safeguard_label};

/// A provider of one of the activity's services, or a processor it names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartyEntry {
    pub name: String,
    pub country: String,
    pub country_name: String,
    /// "Google Ads: Måler …" for a service; the processor's own purpose otherwise.
    pub purpose: String,
    /// As the privacy file declares it; `None` when it does not say.
    pub role: Option<ServiceRole>,
    pub role_label: Option<String>,
}

/// The transfers of one provider (or of the activity itself) to one country.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransferGroup {
    /// The provider whose services send the data; `None` for the activity's own transfers.
    pub provider: Option<String>,
    /// The services of that provider in this activity, in file order.
    pub services: Vec<String>,
    pub country: String,
    pub country_name: String,
    /// Each distinct safeguard with its note, in file order.
    pub safeguards: Vec<SafeguardEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SafeguardEntry {
    pub safeguard: Safeguard,
    pub label: String,
    pub note: Option<String>,
}

/// The parties of `activity`: its services' providers (not the controller itself), then its
/// named processors.
pub fn parties(
    activity: &Activity,
    services: &[&Service],
    lang: &Lang,
    file: &PrivacyFile,
) -> Vec<PartyEntry> {
    let text = |t: &kapsel_core::Text| localized(t, lang, file);
    let mut parties: Vec<PartyEntry> = services
        .iter()
        // The controller running its own service is not a party to it.
        .filter(|service| service.provider.name != file.organisation.name)
        .map(|service| PartyEntry {
            name: service.provider.name.clone(),
            country: service.provider.country.to_ascii_uppercase(),
            country_name: country_name(&service.provider.country, lang),
            purpose: format!("{}: {}", service.name, text(&service.purpose)),
            role: service.role,
            role_label: service.role.map(|role| role_label(role, lang).to_owned()),
        })
        .collect();
    parties.extend(activity.processors.iter().map(|processor| PartyEntry {
        name: processor.name.clone(),
        country: processor.country.to_ascii_uppercase(),
        country_name: country_name(&processor.country, lang),
        purpose: text(&processor.purpose),
        role: Some(ServiceRole::Processor),
        role_label: Some(role_label(ServiceRole::Processor, lang).to_owned()),
    }));
    parties
}

/// The transfers of the activity's services grouped by (provider, country), then the activity's
/// own transfers by country.
pub fn transfer_groups(
    activity: &Activity,
    services: &[&Service],
    lang: &Lang,
    file: &PrivacyFile,
) -> Vec<TransferGroup> {
    let mut groups: Vec<TransferGroup> = Vec::new();
    let mut add = |provider: Option<&str>, service: Option<&str>, transfer: &Transfer| {
        let country = transfer.country.to_ascii_uppercase();
        let index = match groups
            .iter()
            .position(|g| g.provider.as_deref() == provider && g.country == country)
        {
            Some(index) => index,
            None => {
                groups.push(TransferGroup {
                    provider: provider.map(str::to_owned),
                    services: Vec::new(),
                    country_name: country_name(&country, lang),
                    country,
                    safeguards: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let Some(group) = groups.get_mut(index) else {
            return;
        };
        if let Some(service) = service
            && !group.services.iter().any(|s| s == service)
        {
            group.services.push(service.to_owned());
        }
        let entry = SafeguardEntry {
            safeguard: transfer.safeguard,
            label: safeguard_label(transfer.safeguard, lang).to_owned(),
            note: transfer
                .note
                .as_ref()
                .map(|note| localized(note, lang, file)),
        };
        if !group.safeguards.contains(&entry) {
            group.safeguards.push(entry);
        }
    };
    for service in services {
        for transfer in &service.transfers {
            add(Some(&service.provider.name), Some(&service.name), transfer);
        }
    }
    for transfer in &activity.transfers {
        add(None, None, transfer);
    }
    groups
}
