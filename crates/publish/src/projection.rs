//! Reading back a published revision. The store keeps, per revision, the document the revision
//! hash was computed over (`kapsel_core::privacy::RevisionDocument`): the site, its categories
//! and services, consent settings, languages and the organisation's name. This turns it into a
//! `PrivacyFile` with just that site, so the change log can diff any two kept revisions.
//! Processing activities are not part of a revision, so they never show as changed here.

use kapsel_core::privacy::{Notice, Organisation, PrivacyFile, RevisionDocument, Service, Site};

use crate::PublishError;

/// The privacy file a stored revision document describes, for diffing.
pub fn file_from_projection(document_json: &str) -> Result<PrivacyFile, PublishError> {
    let document = RevisionDocument::from_json(document_json)?;
    Ok(PrivacyFile {
        languages: document.languages,
        version: None,
        organisation: Organisation {
            name: document.organisation,
            org_number: String::new(),
            address: String::new(),
            country: String::new(),
            email: String::new(),
            phone: None,
            dpo: None,
            authority: None,
        },
        consent: document.consent.into(),
        sites: vec![Site {
            id: document.site.id,
            name: document.site.name,
            domains: Vec::new(),
            cookie_domain: None,
            links: document.site.links,
            services: None,
        }],
        categories: document.categories,
        services: document.services.into_iter().map(Service::from).collect(),
        activities: Vec::new(),
        notice: Notice::default(),
        identifiers: Vec::new(),
        datasets: Vec::new(),
        retention: Vec::new(),
        destinations: Vec::new(),
        gate: Default::default(),
    })
}
