//! What earlier revisions of a site declared and the current one no longer does: the storage
//! keys of dropped services (and cookies a kept service dropped), read from the revision
//! documents the store keeps, so that a returning visitor's reject or withdrawal still deletes
//! them. A key any current service of the site declares (the same name, or one covered by a
//! prefix either way) is left out: it belongs to a service that may be allowed now.

use kapsel_core::privacy::revision_document::RevisionDocument;
use kapsel_core::privacy::{Cookie, Service, StorageKind};

use super::projection::erase_key;

/// The erase keys (see `projection::erase_key`) of every cookie and storage key declared in one
/// of `documents` (stored revision documents of the site, any order) and by none of `current`
/// (the site's services now). In the order first seen, without repeats. A document that cannot
/// be read is skipped with a warning: it never stops the server.
pub fn gone_keys(site: &str, current: &[&Service], documents: &[String]) -> Vec<String> {
    let mut gone: Vec<String> = Vec::new();
    for json in documents {
        let document = match RevisionDocument::from_json(json) {
            Ok(document) => document,
            Err(error) => {
                tracing::warn!(%site, %error, "an earlier revision document cannot be read; its cookies are not cleared");
                continue;
            }
        };
        for cookie in document
            .services
            .into_iter()
            .flat_map(|service| Service::from(service).cookies)
        {
            let declared_now = current
                .iter()
                .flat_map(|service| &service.cookies)
                .any(|now| overlaps(now, &cookie));
            if let Some(key) = erase_key(&cookie).filter(|key| !declared_now && !gone.contains(key))
            {
                gone.push(key);
            }
        }
    }
    gone
}

/// Whether two declarations can name the same stored key.
fn overlaps(a: &Cookie, b: &Cookie) -> bool {
    let class = |kind: StorageKind| match kind {
        StorageKind::Cookie => Some('c'),
        StorageKind::LocalStorage => Some('l'),
        StorageKind::SessionStorage => Some('s'),
        StorageKind::IndexedDb => Some('i'),
        StorageKind::Pixel => None,
    };
    class(a.kind).is_some()
        && class(a.kind) == class(b.kind)
        && (a.name == b.name
            || (a.prefix && b.name.starts_with(&a.name))
            || (b.prefix && a.name.starts_with(&b.name)))
}
