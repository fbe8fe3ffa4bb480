//! One visit: a page loaded in a fresh profile in one consent phase, driven through the Kapsel
//! banner where the phase asks for a choice, and everything the profile holds afterwards read
//! out as findings: cookies, web storage and IndexedDB of every frame, requests to other sites.

use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::page::{CreateIsolatedWorldParams, FrameId, GetFrameTreeParams};
use chromiumoxide::cdp::browser_protocol::storage::GetCookiesParams;
use chromiumoxide::cdp::js_protocol::runtime::{AddBindingParams, EvaluateParams, ExecutionContextId};
use chromiumoxide::Page;
use kapsel_core::privacy::Party;
use kapsel_core::scan_classify::site_of;
use kapsel_core::scan_report::{
    Classification, CookieFinding, Finding, Phase, RequestFinding, SetBy, StorageArea, StorageFinding,
};
use url::Url;

use crate::ScanError;
use crate::browser::{Chromium, Tab};
use crate::events::{BINDING, Recorder, TabLog};

const HOOKS: &str = include_str!("hooks.js");

/// Timing of a visit.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// The network counts as idle after this long without a request in flight.
    pub quiet: Duration,
    /// Longest wait for idle after each step.
    pub settle_max: Duration,
    /// Longest wait for a page load.
    pub load_max: Duration,
}

/// What one visit does: the phases it observes, in one fresh profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Load and observe; no choice.
    BeforeChoice,
    /// Observe before any choice, then reject all in the same profile and observe again: the
    /// same as a fresh profile for "after reject", one page load cheaper.
    BeforeThenReject,
    /// Accept all and observe.
    Accept,
}

/// One phase as a visit saw it: findings, or why it could not be driven.
pub type PhaseOutcome = Result<Vec<Finding>, String>;

/// What one visit found.
#[derive(Debug)]
pub struct Visit {
    pub phases: Vec<(Phase, PhaseOutcome)>,
    pub kapsel_banner: bool,
    /// Links (absolute) on the page as first loaded.
    pub links: Vec<String>,
}

/// Visits `url` in a fresh profile, following `plan`.
pub async fn visit(chromium: &Chromium, url: &Url, plan: Plan, timing: Timing) -> Result<Visit, ScanError> {
    let tab = chromium.fresh_tab().await?;
    let result = visit_in(chromium, &tab, url, plan, timing).await;
    chromium.close_tab(tab).await;
    result
}

async fn visit_in(chromium: &Chromium, tab: &Tab, url: &Url, plan: Plan, timing: Timing) -> Result<Visit, ScanError> {
    let page = &tab.page;
    let recorder = Recorder::attach(page).await?;
    page.execute(AddBindingParams::new(BINDING)).await.map_err(ScanError::browser("add the hook binding"))?;
    page.evaluate_on_new_document(HOOKS).await.map_err(ScanError::browser("install the hooks"))?;

    load(page, url.as_str(), timing).await?;
    recorder.settle(timing.quiet, timing.settle_max).await;
    let kapsel_banner = wait_for_banner(page, plan != Plan::BeforeChoice).await;
    let links = read_links(page).await;
    let mut phases = Vec::new();
    if plan != Plan::Accept {
        phases.push((Phase::BeforeChoice, Ok(observe(chromium, tab, url, &recorder, 0).await?)));
    }
    let choice = match plan {
        Plan::BeforeChoice => None,
        Plan::BeforeThenReject => Some((Phase::AfterReject, "reject_all")),
        Plan::Accept => Some((Phase::AfterAccept, "accept_all")),
    };
    if let Some((phase, action)) = choice {
        let mark = recorder.requests_so_far();
        match click_choice(page, action, kapsel_banner).await {
            Ok(()) => {
                recorder.settle(timing.quiet, timing.settle_max).await;
                // The choice is stored; the next page view is what the visitor lives with.
                tokio::time::timeout(timing.load_max, page.reload())
                    .await
                    .map_err(|_| ScanError::Timeout(url.to_string()))?
                    .map_err(ScanError::browser("reload after the choice"))?;
                recorder.settle(timing.quiet, timing.settle_max).await;
                phases.push((phase, Ok(observe(chromium, tab, url, &recorder, mark).await?)));
            }
            Err(reason) => phases.push((phase, Err(reason))),
        }
    }
    recorder.finish();
    Ok(Visit { phases, kapsel_banner, links })
}

/// Everything the profile holds now, and the requests to other sites since request `since`.
async fn observe(
    chromium: &Chromium,
    tab: &Tab,
    url: &Url,
    recorder: &Recorder,
    since: usize,
) -> Result<Vec<Finding>, ScanError> {
    let storage = read_storage(&tab.page).await;
    let cookies = chromium
        .browser()
        .execute(GetCookiesParams { browser_context_id: Some(tab.context.clone()) })
        .await
        .map_err(ScanError::browser("read cookies"))?
        .result
        .cookies;
    let log = recorder.snapshot();
    let page_site = site_of(url.host_str().unwrap_or_default());
    let now_ms = now_ms();
    let mut findings: Vec<Finding> = Vec::new();
    for cookie in cookies {
        let domain_site = site_of(cookie.domain.trim_start_matches('.'));
        let set_by = log
            .cookie_setter(&cookie.name)
            .map(|r| SetBy::Response { url: strip_query(&r.url), initiator: r.initiator.as_deref().map(strip_query) })
            .or_else(|| log.script_writer("cookie", &cookie.name, None).map(|s| SetBy::Script { url: strip_query(s) }));
        let expires = (!cookie.session && cookie.expires > 0.0).then_some((cookie.expires * 1000.0) as i64);
        findings.push(Finding::Cookie(CookieFinding {
            party: if domain_site == page_site { Party::First } else { Party::Third },
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
        let set_by = log.script_writer(store, &key, Some(&origin)).map(|s| SetBy::Script { url: strip_query(s) });
        let host = Url::parse(&origin).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
        findings.push(Finding::Storage(StorageFinding {
            storage: area,
            party: if site_of(&host) == page_site { Party::First } else { Party::Third },
            origin,
            key,
            set_by,
            classification: Classification::Unknown,
        }));
    }
    findings.extend(third_party_requests(&log, since, &page_site));
    Ok(findings)
}

async fn load(page: &Page, url: &str, timing: Timing) -> Result<(), ScanError> {
    tokio::time::timeout(timing.load_max, page.goto(url))
        .await
        .map_err(|_| ScanError::Timeout(url.to_owned()))?
        .map_err(|e| ScanError::Load { url: url.to_owned(), reason: e.to_string() })?;
    Ok(())
}

/// Whether `#kapsel-banner` is on the page; when a choice is to be made, waits up to a second
/// for a banner that renders late.
async fn wait_for_banner(page: &Page, patient: bool) -> bool {
    let tries = if patient { 10 } else { 1 };
    for attempt in 0..tries {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if evaluate(page, None, "document.querySelector('#kapsel-banner') !== null").await == Some(serde_json::Value::Bool(true)) {
            return true;
        }
    }
    false
}

/// Clicks the banner's button for `action`; the reason when it cannot.
async fn click_choice(page: &Page, action: &str, banner: bool) -> Result<(), String> {
    if !banner {
        return Err("no Kapsel banner (#kapsel-banner) on the page, so no choice could be made".to_owned());
    }
    let script = format!(
        "(() => {{ const b = document.querySelector('[data-kapsel-action=\"{action}\"]'); \
         if (!b) return 'missing'; b.click(); return 'clicked'; }})()"
    );
    match evaluate(page, None, &script).await {
        Some(serde_json::Value::String(s)) if s == "clicked" => Ok(()),
        Some(serde_json::Value::String(s)) if s == "missing" => {
            Err(format!("the banner has no [data-kapsel-action=\"{action}\"] button"))
        }
        other => Err(format!("clicking [data-kapsel-action=\"{action}\"] failed: {other:?}")),
    }
}

async fn read_links(page: &Page) -> Vec<String> {
    let script = "JSON.stringify(Array.from(document.querySelectorAll('a[href]'), a => a.href))";
    match evaluate(page, None, script).await {
        Some(serde_json::Value::String(json)) => serde_json::from_str(&json).unwrap_or_default(),
        _ => Vec::new(),
    }
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
        let world = CreateIsolatedWorldParams::builder().frame_id(frame).world_name("kapsel-scan").build();
        let Ok(world) = world else { continue };
        let Ok(created) = page.execute(world).await else { continue };
        let context = created.result.execution_context_id;
        let Some(serde_json::Value::String(json)) = evaluate(page, Some(context), STORAGE_SCRIPT).await else { continue };
        let Ok(storage) = serde_json::from_str::<FrameStorage>(&json) else { continue };
        if storage.origin == "null" {
            continue;
        }
        let areas = [(StorageArea::LocalStorage, storage.local), (StorageArea::SessionStorage, storage.session), (StorageArea::IndexedDb, storage.idb)];
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
    let Ok(tree) = page.execute(GetFrameTreeParams::default()).await else { return Vec::new() };
    let mut ids = Vec::new();
    let mut pending = vec![tree.result.frame_tree.clone()];
    while let Some(node) = pending.pop() {
        ids.push(node.frame.id.clone());
        pending.extend(node.child_frames.unwrap_or_default());
    }
    ids
}

/// Evaluates `expression` (awaiting a promise) and returns its value, or `None` on any failure.
async fn evaluate(page: &Page, context: Option<ExecutionContextId>, expression: &str) -> Option<serde_json::Value> {
    let mut params = EvaluateParams::new(expression);
    params.context_id = context;
    params.await_promise = Some(true);
    params.return_by_value = Some(true);
    let response = page.execute(params).await.ok()?;
    if response.result.exception_details.is_some() {
        return None;
    }
    response.result.result.value.clone()
}

/// Requests (from number `since` on) to hosts outside the page's site, one finding per URL
/// and type.
fn third_party_requests(log: &TabLog, since: usize, page_site: &str) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    for request in log.requests.iter().skip(since) {
        let Ok(url) = Url::parse(&request.url) else { continue };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        if site_of(&host) == page_site {
            continue;
        }
        let stripped = strip_query(&request.url);
        let set_cookies = log.set_cookies.get(&request.id).cloned().unwrap_or_default();
        let existing = findings.iter_mut().find_map(|f| match f {
            Finding::Request(r) if r.url == stripped && r.resource_type == request.resource_type => Some(r),
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

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}
