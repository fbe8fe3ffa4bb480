//! One visit: a page loaded in a fresh profile, observed before any choice and/or driven through
//! the Kapsel banner ("reject all", "accept all") and observed again after a reload. Reading the
//! profile out as findings is `observe`.

use std::time::Duration;

use chromiumoxide::Page;
use chromiumoxide::cdp::js_protocol::runtime::{
    AddBindingParams, EvaluateParams, ExecutionContextId,
};
use kapsel_core::scan_report::{Finding, Phase};
use kapsel_core::{Clock, Secret};
use url::Url;

use crate::ScanError;
use crate::browser::{Chromium, Tab};
use crate::events::{BINDING, Recorder};
use crate::mark::mark_consent_requests;
use crate::observe::observe;

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

/// Visits `url` in a fresh profile, following `plan`; `clock` is "now" for cookie lifetimes;
/// with `token`, the banner's consent requests carry it (`mark`).
pub async fn visit(
    chromium: &Chromium,
    url: &Url,
    plan: Plan,
    timing: Timing,
    clock: &dyn Clock,
    token: Option<&Secret>,
) -> Result<Visit, ScanError> {
    let tab = chromium.fresh_tab().await?;
    let marker = match token {
        Some(token) => Some(mark_consent_requests(&tab.page, token).await?),
        None => None,
    };
    let result = visit_in(chromium, &tab, url, plan, timing, clock).await;
    if let Some(marker) = marker {
        marker.abort();
    }
    chromium.close_tab(tab).await;
    result
}

async fn visit_in(
    chromium: &Chromium,
    tab: &Tab,
    url: &Url,
    plan: Plan,
    timing: Timing,
    clock: &dyn Clock,
) -> Result<Visit, ScanError> {
    let page = &tab.page;
    let recorder = Recorder::attach(page).await?;
    page.execute(AddBindingParams::new(BINDING))
        .await
        .map_err(ScanError::browser("add the hook binding"))?;
    page.evaluate_on_new_document(HOOKS)
        .await
        .map_err(ScanError::browser("install the hooks"))?;

    load(page, url.as_str(), timing).await?;
    recorder.settle(timing.quiet, timing.settle_max).await;
    let kapsel_banner = wait_for_banner(page, plan != Plan::BeforeChoice).await;
    let links = read_links(page).await;
    let mut phases = Vec::new();
    if plan != Plan::Accept {
        phases.push((
            Phase::BeforeChoice,
            Ok(observe(chromium, tab, url, &recorder, 0, clock).await?),
        ));
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
                phases.push((
                    phase,
                    Ok(observe(chromium, tab, url, &recorder, mark, clock).await?),
                ));
            }
            Err(reason) => phases.push((phase, Err(reason))),
        }
    }
    recorder.finish();
    Ok(Visit {
        phases,
        kapsel_banner,
        links,
    })
}

async fn load(page: &Page, url: &str, timing: Timing) -> Result<(), ScanError> {
    tokio::time::timeout(timing.load_max, page.goto(url))
        .await
        .map_err(|_| ScanError::Timeout(url.to_owned()))?
        .map_err(|e| ScanError::Load {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
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
        if evaluate(
            page,
            None,
            "document.querySelector('#kapsel-banner') !== null",
        )
        .await
            == Some(serde_json::Value::Bool(true))
        {
            return true;
        }
    }
    false
}

/// Clicks the banner's button for `action`; the reason when it cannot.
async fn click_choice(page: &Page, action: &str, banner: bool) -> Result<(), String> {
    if !banner {
        return Err(
            "no Kapsel banner (#kapsel-banner) on the page, so no choice could be made".to_owned(),
        );
    }
    let script = format!(
        "(() => {{ const b = document.querySelector('[data-kapsel-action=\"{action}\"]'); \
         if (!b) return 'missing'; b.click(); return 'clicked'; }})()"
    );
    match evaluate(page, None, &script).await {
        Some(serde_json::Value::String(s)) if s == "clicked" => Ok(()),
        Some(serde_json::Value::String(s)) if s == "missing" => Err(format!(
            "the banner has no [data-kapsel-action=\"{action}\"] button"
        )),
        other => Err(format!(
            "clicking [data-kapsel-action=\"{action}\"] failed: {other:?}"
        )),
    }
}

async fn read_links(page: &Page) -> Vec<String> {
    let script = "JSON.stringify(Array.from(document.querySelectorAll('a[href]'), a => a.href))";
    match evaluate(page, None, script).await {
        Some(serde_json::Value::String(json)) => serde_json::from_str(&json).unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Evaluates `expression` (awaiting a promise) and returns its value, or `None` on any failure.
pub(crate) async fn evaluate(
    page: &Page,
    context: Option<ExecutionContextId>,
    expression: &str,
) -> Option<serde_json::Value> {
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
