//! The project's own catalogue of the most common trackers and embedded services on Norwegian
//! sites: names, lifetimes and hosts as the vendors document them, described in our own words.
//! Kept short on purpose; the Open Cookie Database covers the long tail.

use super::lifetime::parse_lifetime;
use super::{CatalogueSource, KnownCategory, KnownCookie, KnownHost};

mod advertising;
mod tools;

/// One vendor's product and what it sets.
pub(super) struct Vendor {
    platform: &'static str,
    provider: &'static str,
    category: KnownCategory,
    privacy_url: &'static str,
    hosts: &'static [&'static str],
    cookies: &'static [Entry],
}

/// One cookie or storage key. `domain` is set for third-party cookies.
pub(super) struct Entry {
    name: &'static str,
    prefix: bool,
    retention: &'static str,
    domain: Option<&'static str>,
    description: &'static str,
}

pub(super) const fn first(
    name: &'static str,
    retention: &'static str,
    description: &'static str,
) -> Entry {
    Entry {
        name,
        prefix: false,
        retention,
        domain: None,
        description,
    }
}

pub(super) const fn first_prefix(
    name: &'static str,
    retention: &'static str,
    description: &'static str,
) -> Entry {
    Entry {
        name,
        prefix: true,
        retention,
        domain: None,
        description,
    }
}

pub(super) const fn third(
    name: &'static str,
    domain: &'static str,
    retention: &'static str,
    description: &'static str,
) -> Entry {
    Entry {
        name,
        prefix: false,
        retention,
        domain: Some(domain),
        description,
    }
}

pub(super) const GOOGLE_PRIVACY: &str = "https://policies.google.com/privacy";

/// The cookies and hosts above as catalogue entries.
pub(super) fn entries() -> (Vec<KnownCookie>, Vec<KnownHost>) {
    let mut cookies = Vec::new();
    let mut hosts = Vec::new();
    for vendor in tools::TOOLS.iter().chain(advertising::ADVERTISING) {
        for entry in vendor.cookies {
            cookies.push(KnownCookie {
                name: entry.name.to_owned(),
                prefix: entry.prefix,
                platform: vendor.platform.to_owned(),
                provider: vendor.provider.to_owned(),
                category: vendor.category,
                retention: entry.retention.to_owned(),
                duration: parse_lifetime(entry.retention),
                third_party: entry.domain.is_some(),
                domain: entry.domain.map(str::to_owned),
                hosts: entry.domain.map(str::to_owned).into_iter().collect(),
                description: entry.description.to_owned(),
                privacy_url: Some(vendor.privacy_url.to_owned()),
                source: CatalogueSource::Builtin,
            });
        }
        for host in vendor.hosts {
            hosts.push(KnownHost {
                host: (*host).to_owned(),
                platform: vendor.platform.to_owned(),
                provider: vendor.provider.to_owned(),
                category: vendor.category,
                source: CatalogueSource::Builtin,
            });
        }
    }
    (cookies, hosts)
}
