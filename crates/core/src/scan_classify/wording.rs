//! How findings and classifications are put into words in violations.

use super::storage_kind;
use crate::privacy::StorageKind;
use crate::scan_report::{Classification, Finding};

pub(super) fn kind_words(kind: StorageKind) -> &'static str {
    match kind {
        StorageKind::Cookie => "cookie",
        StorageKind::LocalStorage => "localStorage key",
        StorageKind::SessionStorage => "sessionStorage key",
        StorageKind::IndexedDb => "IndexedDB database",
        StorageKind::Pixel => "pixel",
    }
}

pub(super) fn describe(finding: &Finding) -> String {
    match finding {
        Finding::Cookie(c) => format!("cookie {} on {}", c.name, c.domain),
        Finding::Storage(s) => format!(
            "{} {} of {}",
            kind_words(storage_kind(s.storage)),
            s.key,
            s.origin
        ),
        Finding::Request(r) => format!("{} request to {}", r.resource_type, r.host),
    }
}

pub(super) fn class_words(class: &Classification) -> String {
    match class {
        Classification::Declared { service, category } => {
            format!("declared: service {service}, category {category}")
        }
        Classification::Known { provider, category } => format!("known: {provider}, {category}"),
        Classification::Unknown => "unknown".to_owned(),
    }
}

pub(super) fn evidence(finding: &Finding) -> String {
    match finding {
        Finding::Cookie(c) => c.set_by.as_ref().map_or_else(
            || "set by: unknown (the browser did not tell)".to_owned(),
            |s| format!("set by {}", s.describe()),
        ),
        Finding::Storage(s) => s.set_by.as_ref().map_or_else(
            || {
                format!(
                    "found in {} of {}",
                    kind_words(storage_kind(s.storage)),
                    s.origin
                )
            },
            |b| format!("set by {}", b.describe()),
        ),
        Finding::Request(r) => match &r.initiator {
            Some(by) => format!("{} {} requested by {by}", r.resource_type, r.url),
            None => format!("{} {}", r.resource_type, r.url),
        },
    }
}
