//! What changed for a site's visitors between two privacy files, as `Change`s with a
//! plain-language sentence per language. Files are compared as loaded models, never as text,
//! so reformatting, reordering keys or changing comments reports nothing. The sentences are in
//! `sentence`.

mod sentence;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use kapsel_core::Text;
use kapsel_core::privacy::{
    Activity, Cookie, Duration, LegalBasis, PrivacyFile, Safeguard, Service, StorageKind, Transfer,
};

/// One change a visitor would care about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    ServiceAdded {
        service: String,
        provider: String,
        category: Text,
    },
    ServiceRemoved {
        service: String,
        provider: String,
    },
    ServiceCategoryChanged {
        service: String,
        from: Text,
        to: Text,
    },
    ServicePurposeChanged {
        service: String,
        to: Text,
    },
    ProviderChanged {
        service: String,
        from: String,
        to: String,
    },
    CookieAdded {
        service: String,
        storage: StorageKind,
        cookie: String,
        prefix: bool,
        duration: String,
    },
    CookieRemoved {
        service: String,
        storage: StorageKind,
        cookie: String,
        prefix: bool,
    },
    CookieDurationChanged {
        service: String,
        storage: StorageKind,
        cookie: String,
        prefix: bool,
        from: String,
        to: String,
    },
    CookiePurposeChanged {
        service: String,
        storage: StorageKind,
        cookie: String,
        prefix: bool,
        to: Text,
    },
    TransferAdded {
        by: Text,
        country: String,
        safeguard: Safeguard,
    },
    TransferRemoved {
        by: Text,
        country: String,
    },
    CategoryAdded {
        category: Text,
    },
    CategoryRemoved {
        category: Text,
    },
    ActivityAdded {
        activity: Text,
    },
    ActivityRemoved {
        activity: Text,
    },
    ActivityPurposeChanged {
        activity: Text,
        to: Text,
    },
    LegalBasisChanged {
        activity: Text,
        from: LegalBasis,
        to: LegalBasis,
    },
    RetentionChanged {
        activity: Text,
        from: Text,
        to: Text,
    },
    /// A `[[retention]]` rule of the activity (same id) now keeps its rows for another period.
    RetentionRuleChanged {
        activity: Text,
        table: String,
        from: String,
        to: String,
    },
    RecipientsChanged {
        activity: Text,
        to: Option<Text>,
    },
    ProcessorAdded {
        activity: Text,
        processor: String,
    },
    ProcessorRemoved {
        activity: Text,
        processor: String,
    },
    ControllerChanged {
        name: String,
    },
}

fn plain(name: &str) -> Text {
    Text(BTreeMap::from([(String::from("en"), name.to_owned())]))
}

fn same_duration(a: &str, b: &str) -> bool {
    match (Duration::parse(a), Duration::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

fn category_label(file: &PrivacyFile, id: &str) -> Text {
    file.category(id)
        .map_or_else(|| plain(id), |c| c.label.clone())
}

fn transfer_keys(transfers: &[Transfer]) -> BTreeMap<String, Safeguard> {
    transfers
        .iter()
        .map(|t| (t.country.to_ascii_uppercase(), t.safeguard))
        .collect()
}

fn diff_transfers(by: &Text, old: &[Transfer], new: &[Transfer], out: &mut Vec<Change>) {
    let (old, new) = (transfer_keys(old), transfer_keys(new));
    for (country, safeguard) in &new {
        if old.get(country) != Some(safeguard) {
            out.push(Change::TransferAdded {
                by: by.clone(),
                country: country.clone(),
                safeguard: *safeguard,
            });
        }
    }
    for country in old.keys().filter(|c| !new.contains_key(*c)) {
        out.push(Change::TransferRemoved {
            by: by.clone(),
            country: country.clone(),
        });
    }
}

/// What identifies one declared entry within its service: kind, name, prefix and domain. A
/// cookie and a local-storage key with the same name are two entries, and so are two cookies of
/// one name on different domains (validation allows both).
fn cookie_key(cookie: &Cookie) -> (&'static str, String, bool, Option<String>) {
    let kind = match cookie.kind {
        StorageKind::Cookie => "cookie",
        StorageKind::LocalStorage => "local_storage",
        StorageKind::SessionStorage => "session_storage",
        StorageKind::IndexedDb => "indexed_db",
        StorageKind::Pixel => "pixel",
    };
    let domain = cookie
        .domain
        .as_ref()
        .map(|d| d.trim().trim_start_matches('.').to_ascii_lowercase());
    (kind, cookie.name.clone(), cookie.prefix, domain)
}

fn diff_service(
    old_file: &PrivacyFile,
    new_file: &PrivacyFile,
    old: &Service,
    new: &Service,
    out: &mut Vec<Change>,
) {
    let name = new.name.clone();
    if old.category != new.category {
        out.push(Change::ServiceCategoryChanged {
            service: name.clone(),
            from: category_label(old_file, &old.category),
            to: category_label(new_file, &new.category),
        });
    }
    if old.purpose != new.purpose {
        out.push(Change::ServicePurposeChanged {
            service: name.clone(),
            to: new.purpose.clone(),
        });
    }
    if old.provider.name != new.provider.name {
        out.push(Change::ProviderChanged {
            service: name.clone(),
            from: old.provider.name.clone(),
            to: new.provider.name.clone(),
        });
    }
    let old_cookies: BTreeMap<_, _> = old.cookies.iter().map(|c| (cookie_key(c), c)).collect();
    for cookie in &new.cookies {
        match old_cookies.get(&cookie_key(cookie)) {
            None => out.push(Change::CookieAdded {
                service: name.clone(),
                storage: cookie.kind,
                cookie: cookie.name.clone(),
                prefix: cookie.prefix,
                duration: cookie.duration.clone(),
            }),
            Some(before) => {
                if !same_duration(&before.duration, &cookie.duration) {
                    out.push(Change::CookieDurationChanged {
                        service: name.clone(),
                        storage: cookie.kind,
                        cookie: cookie.name.clone(),
                        prefix: cookie.prefix,
                        from: before.duration.clone(),
                        to: cookie.duration.clone(),
                    });
                }
                let purpose_before = before.purpose.as_ref().unwrap_or(&old.purpose);
                let purpose_now = cookie.purpose.as_ref().unwrap_or(&new.purpose);
                let own_purpose = cookie.purpose.is_some() || before.purpose.is_some();
                if own_purpose && purpose_before != purpose_now {
                    out.push(Change::CookiePurposeChanged {
                        service: name.clone(),
                        storage: cookie.kind,
                        cookie: cookie.name.clone(),
                        prefix: cookie.prefix,
                        to: purpose_now.clone(),
                    });
                }
            }
        }
    }
    let new_keys: BTreeSet<_> = new.cookies.iter().map(cookie_key).collect();
    for cookie in old
        .cookies
        .iter()
        .filter(|c| !new_keys.contains(&cookie_key(c)))
    {
        out.push(Change::CookieRemoved {
            service: name.clone(),
            storage: cookie.kind,
            cookie: cookie.name.clone(),
            prefix: cookie.prefix,
        });
    }
    diff_transfers(&plain(&name), &old.transfers, &new.transfers, out);
}

fn processor_names(file: &PrivacyFile, activity: &Activity) -> BTreeSet<String> {
    activity
        .services
        .iter()
        .filter_map(|id| file.service(id))
        .map(|s| s.provider.name.clone())
        .chain(activity.processors.iter().map(|p| p.name.clone()))
        .collect()
}

fn diff_activity(
    old_file: &PrivacyFile,
    new_file: &PrivacyFile,
    old: &Activity,
    new: &Activity,
    out: &mut Vec<Change>,
) {
    let activity = new.name.clone();
    if old.purpose != new.purpose {
        out.push(Change::ActivityPurposeChanged {
            activity: activity.clone(),
            to: new.purpose.clone(),
        });
    }
    if old.legal_basis != new.legal_basis {
        out.push(Change::LegalBasisChanged {
            activity: activity.clone(),
            from: old.legal_basis,
            to: new.legal_basis,
        });
    }
    let period_changed = match (&old.retention_period, &new.retention_period) {
        (Some(a), Some(b)) => !same_duration(a, b),
        (a, b) => a != b,
    };
    if old.retention != new.retention || period_changed {
        out.push(Change::RetentionChanged {
            activity: activity.clone(),
            from: old.retention.clone(),
            to: new.retention.clone(),
        });
    }
    if old.recipients != new.recipients {
        out.push(Change::RecipientsChanged {
            activity: activity.clone(),
            to: new.recipients.clone(),
        });
    }
    let (before, after) = (
        processor_names(old_file, old),
        processor_names(new_file, new),
    );
    for processor in after.difference(&before) {
        out.push(Change::ProcessorAdded {
            activity: activity.clone(),
            processor: processor.clone(),
        });
    }
    for processor in before.difference(&after) {
        out.push(Change::ProcessorRemoved {
            activity: activity.clone(),
            processor: processor.clone(),
        });
    }
    for rule in new_file.retention.iter().filter(|r| r.activity == new.id) {
        if let Some(before) = old_file.retention.iter().find(|r| r.id == rule.id)
            && !same_duration(&before.period, &rule.period)
        {
            out.push(Change::RetentionRuleChanged {
                activity: activity.clone(),
                table: rule.table.clone(),
                from: before.period.clone(),
                to: rule.period.clone(),
            });
        }
    }
    diff_transfers(&activity, &old.transfers, &new.transfers, out);
}

/// Everything that changed for visitors of `site` from `old` to `new`, in a stable order:
/// controller, categories, services (new file order, then removed ones), activities.
pub fn diff(old: &PrivacyFile, new: &PrivacyFile, site: &str) -> Vec<Change> {
    let mut out = Vec::new();
    let (o, n) = (&old.organisation, &new.organisation);
    if o.name != n.name
        || o.address != n.address
        || o.email != n.email
        || o.phone != n.phone
        || o.dpo != n.dpo
    {
        out.push(Change::ControllerChanged {
            name: n.name.clone(),
        });
    }
    let old_categories: BTreeSet<_> = old
        .categories_with_necessary()
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let new_categories = new.categories_with_necessary();
    for category in new_categories
        .iter()
        .filter(|c| !old_categories.contains(&c.id))
    {
        out.push(Change::CategoryAdded {
            category: category.label.clone(),
        });
    }
    let new_ids: BTreeSet<_> = new_categories.iter().map(|c| c.id.clone()).collect();
    for category in old
        .categories_with_necessary()
        .iter()
        .filter(|c| !new_ids.contains(&c.id))
    {
        out.push(Change::CategoryRemoved {
            category: category.label.clone(),
        });
    }

    let old_services = old.services_for_site(site);
    let new_services = new.services_for_site(site);
    for service in &new_services {
        match old_services.iter().find(|s| s.id == service.id) {
            None => {
                out.push(Change::ServiceAdded {
                    service: service.name.clone(),
                    provider: service.provider.name.clone(),
                    category: category_label(new, &service.category),
                });
                for cookie in &service.cookies {
                    out.push(Change::CookieAdded {
                        service: service.name.clone(),
                        storage: cookie.kind,
                        cookie: cookie.name.clone(),
                        prefix: cookie.prefix,
                        duration: cookie.duration.clone(),
                    });
                }
                diff_transfers(&plain(&service.name), &[], &service.transfers, &mut out);
            }
            Some(before) => diff_service(old, new, before, service, &mut out),
        }
    }
    for service in old_services
        .iter()
        .filter(|s| !new_services.iter().any(|n| n.id == s.id))
    {
        out.push(Change::ServiceRemoved {
            service: service.name.clone(),
            provider: service.provider.name.clone(),
        });
    }

    for activity in &new.activities {
        match old.activities.iter().find(|a| a.id == activity.id) {
            None => out.push(Change::ActivityAdded {
                activity: activity.name.clone(),
            }),
            Some(before) => diff_activity(old, new, before, activity, &mut out),
        }
    }
    for activity in old
        .activities
        .iter()
        .filter(|a| !new.activities.iter().any(|n| n.id == a.id))
    {
        out.push(Change::ActivityRemoved {
            activity: activity.name.clone(),
        });
    }
    out
}
