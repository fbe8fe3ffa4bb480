//! Reading back a published revision. The store keeps, per revision, the consent projection the
//! revision hash was computed over (`kapsel_core::privacy::revision::consent_projection`): the
//! site, its categories and services, languages and the organisation's name. This turns it into
//! a `PrivacyFile` with just that site, so the change log can diff any two kept revisions.
//! Processing activities are not part of a revision, so they never show as changed here.

use serde::Deserialize;

use kapsel_core::Lang;
use kapsel_core::privacy::{
    Category, ConsentSettings, Notice, Organisation, PrivacyFile, Service, Site, SiteLinks,
};

use crate::PublishError;

#[derive(Deserialize)]
struct Projection {
    languages: Vec<Lang>,
    organisation: String,
    categories: Vec<Category>,
    site: ProjectedSite,
    services: Vec<Service>,
}

#[derive(Deserialize)]
struct ProjectedSite {
    id: String,
    name: String,
    #[serde(default)]
    links: SiteLinks,
}

/// The privacy file a stored revision document describes, for diffing.
pub fn file_from_projection(document_json: &str) -> Result<PrivacyFile, PublishError> {
    let projection: Projection = serde_json::from_str(document_json)?;
    Ok(PrivacyFile {
        languages: projection.languages,
        organisation: Organisation {
            name: projection.organisation,
            org_number: String::new(),
            address: String::new(),
            country: String::new(),
            email: String::new(),
            phone: None,
            dpo: None,
            authority: None,
        },
        consent: ConsentSettings::default(),
        sites: vec![Site {
            id: projection.site.id,
            name: projection.site.name,
            domains: Vec::new(),
            cookie_domain: None,
            links: projection.site.links,
            services: None,
        }],
        categories: projection.categories,
        services: projection.services,
        activities: Vec::new(),
        notice: Notice::default(),
    })
}
