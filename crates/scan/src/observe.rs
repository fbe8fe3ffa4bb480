//! Reading a profile out as findings: every cookie of the browser context, web storage and
//! IndexedDB of every frame's origin (in an isolated world of our own per frame), and the
//! requests to other sites, each with the evidence of who set or caused it.

use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::page::{
    CreateIsolatedWorldParams, FrameId, GetFrameTreeParams,
};
use chromiumoxide::cdp::browser_protocol::storage::GetCookiesParams;
use kapsel_core::Clock;
use kapsel_core::privacy::Party;
use kapsel_core::scan_classify::site_of;
use kapsel_core::scan_report::{
    Classification, CookieFinding, Finding, RequestFinding, SetBy, StorageArea, StorageFinding,
};
use url::Url;

use crate::ScanError;
use crate::browser::{Chromium, Tab};
use crate::capture::evaluate;
use crate::events::{Recorder, TabLog};

/// Everything the profile holds now, and the requests to other sites since request `since`.
/// A cookie's remaining lifetime is counted from `clock`'s now.
pub async fn observe(
    chromium: &Chromium,
    tab: &Tab,
    url: &Url,
    recorder: &Recorder,
    since: usize,
    clock: &dyn Clock,
) -> Result<Vec<Finding>, ScanError> {
    let storage = read_storage(&tab.page).await;
    let cookies = chromium
        .browser()
        .execute(GetCookiesParams {
            browser_context_id: Some(tab.context.clone()),
        })
        .await
        .map_err(ScanError::browser("read cookies"))?
        .result
        .cookies;
    let log = recorder.snapshot();
    let page_site = site_of(url.host_str().unwrap_or_default());
    let now_ms = clock.now_ms();
    let mut findings: Vec<Finding> = Vec::new();
    for cookie in cookies {
        let domain_site = site_of(cookie.domain.trim_start_matches('.'));
        let set_by = log
            .cookie_setter(&cookie.name)
            .map(|r| SetBy::Response {
                url: strip_query(&r.url),
                initiator: r.initiator.as_deref().map(strip_query),
            })
            .or_else(|| {
                log.script_writer("cookie", &cookie.name, None)
                    .map(|s| SetBy::Script {
                        url: strip_query(s),
                    })
            });
        let expires =
            (!cookie.session && cookie.expires > 0.0).then_some((cookie.expires * 1000.0) as i64);
        findings.push(Finding::Cookie(CookieFinding {
            party: if domain_site == page_site {
                Party::First
            } else {
                Party::Third
            },
            name: cookie.name,
            domain: cookie.domain,
            path: cookie.path,
            expires,
            lifetime_ms: expires.map(|e| e - now_ms),
            http_only: cookie.http_only,
            secure: cookie.secure,
            same_site: cookie.same_site.map(|s| s.as_ref().to_owned()),
            set_by,
            classification: Classification::Unknown,
        }));
    }
    for (origin, area, key) in storage {
        let store = match area {
            StorageArea::LocalStorage => "local_storage",
            StorageArea::SessionStorage => "session_storage",
            StorageArea::IndexedDb => "indexed_db",
        };
        let set_by = log
            .script_writer(store, &key, Some(&origin))
            .map(|s| SetBy::Script {
                url: strip_query(s),
            });
        let host = Url::parse(&origin)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        findings.push(Finding::Storage(StorageFinding {
            storage: area,
            party: if site_of(&host) == page_site {
                Party::First
            } else {
                Party::Third
            },
            origin,
            key,
            set_by,
            classification: Classification::Unknown,
        }));
    }
    findings.extend(third_party_requests(&log, since, &page_site));
    Ok(findings)
}

const STORAGE_SCRIPT: &str = r#"(async () => {
  const out = { origin: location.origin, local: [], session: [], idb: [] };
  try { for (let i = 0; i < localStorage.length; i++) out.local.push(localStorage.key(i)); } catch (_) {}
  try { for (let i = 0; i < sessionStorage.length; i++) out.session.push(sessionStorage.key(i)); } catch (_) {}
  try { out.idb = (await indexedDB.databases()).map(d => d.name); } catch (_) {}
  return JSON.stringify(out);
})()"#;

#[derive(serde::Deserialize)]
struct FrameStorage {
    origin: String,
    local: Vec<String>,
    session: Vec<String>,
    idb: Vec<String>,
}

/// Web storage keys and IndexedDB names of every frame's origin, deduplicated.
async fn read_storage(page: &Page) -> Vec<(String, StorageArea, String)> {
    let mut found: Vec<(String, StorageArea, String)> = Vec::new();
    for frame in frame_ids(page).await {
        // An isolated world of our own per frame: the page's scripts cannot interfere with it.
        let world = CreateIsolatedWorldParams::builder()
            .frame_id(frame)
            .world_name("kapsel-scan")
            .build();
        let Ok(world) = world else { continue };
        let Ok(created) = page.execute(world).await else {
            continue;
        };
        let context = created.result.execution_context_id;
        let Some(serde_json::Value::String(json)) =
            evaluate(page, Some(context), STORAGE_SCRIPT).await
        else {
            continue;
        };
        let Ok(storage) = serde_json::from_str::<FrameStorage>(&json) else {
            continue;
        };
        if storage.origin == "null" {
            continue;
        }
        let areas = [
            (StorageArea::LocalStorage, storage.local),
            (StorageArea::SessionStorage, storage.session),
            (StorageArea::IndexedDb, storage.idb),
        ];
        for (area, keys) in areas {
            for key in keys {
                let entry = (storage.origin.clone(), area, key);
                if !found.contains(&entry) {
                    found.push(entry);
                }
            }
        }
    }
    found
}

/// Every frame of the page, main frame first.
async fn frame_ids(page: &Page) -> Vec<FrameId> {
    let Ok(tree) = page.execute(GetFrameTreeParams::default()).await else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    let mut pending = vec![tree.result.frame_tree.clone()];
    while let Some(node) = pending.pop() {
        ids.push(node.frame.id.clone());
        pending.extend(node.child_frames.unwrap_or_default());
    }
    ids
}

/// Requests (from number `since` on) to hosts outside the page's site, one finding per URL
/// and type.
fn third_party_requests(log: &TabLog, since: usize, page_site: &str) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    for request in log.requests.iter().skip(since) {
        let Ok(url) = Url::parse(&request.url) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        if site_of(&host) == page_site {
            continue;
        }
        let stripped = strip_query(&request.url);
        let set_cookies = log
            .set_cookies
            .get(&request.id)
            .cloned()
            .unwrap_or_default();
        let existing = findings.iter_mut().find_map(|f| match f {
            Finding::Request(r)
                if r.url == stripped && r.resource_type == request.resource_type =>
            {
                Some(r)
            }
            _ => None,
        });
        match existing {
            Some(r) => {
                for name in set_cookies {
                    if !r.set_cookies.contains(&name) {
                        r.set_cookies.push(name);
                    }
                }
            }
            None => findings.push(Finding::Request(RequestFinding {
                url: stripped,
                host,
                resource_type: request.resource_type.clone(),
                set_cookies,
                initiator: request.initiator.as_deref().map(strip_query),
                classification: Classification::Unknown,
            })),
        }
    }
    findings
}

/// A URL without query and fragment: those often carry identifiers, the report needs neither.
pub fn strip_query(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url.get(..end).unwrap_or(url).to_owned()
}
