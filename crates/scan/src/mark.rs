//! Marking the scanner's own consent POSTs and banner-view reports: with a token, every request
//! the tab sends to a consent endpoint (`…/v1/consent`) or to the banner's view counter
//! (`…/v1/banner-views?…`) is paused at the network layer (DevTools `Fetch`) and
//! continued with `Kapsel-Scan: <token>` added. Only those requests carry it: no tracker, no
//! page and no other endpoint ever sees the token, and the banner's code does not change. The
//! server answers such choices as usual and records none of them, and counts no view
//! (docs/scanner.md).

use chromiumoxide::Page;
use chromiumoxide::cdp::browser_protocol::fetch::{
    ContinueRequestParams, EnableParams, EventRequestPaused, HeaderEntry, RequestPattern,
    RequestStage,
};
use futures::StreamExt;
use kapsel_core::Secret;
use tokio::task::JoinHandle;

use crate::ScanError;

/// The request header the server recognises.
pub const HEADER: &str = "Kapsel-Scan";

/// The URL pattern of the consent endpoint, as DevTools matches it.
pub const CONSENT_PATTERN: &str = "*/v1/consent";
/// The URL pattern of the banner's view reports (their parameters are in the query).
pub const VIEWS_PATTERN: &str = "*/v1/banner-views?*";

/// Adds `Kapsel-Scan: token` to this tab's consent requests until the tab closes. The returned
/// task ends with the tab's event stream.
pub async fn mark_consent_requests(
    page: &Page,
    token: &Secret,
) -> Result<JoinHandle<()>, ScanError> {
    let err = ScanError::browser("mark the scanner's consent requests");
    let mut paused = page
        .event_listener::<EventRequestPaused>()
        .await
        .map_err(&err)?;
    let patterns = [CONSENT_PATTERN, VIEWS_PATTERN].map(|url| {
        RequestPattern::builder()
            .url_pattern(url)
            .request_stage(RequestStage::Request)
            .build()
    });
    page.execute(EnableParams::builder().patterns(patterns).build())
        .await
        .map_err(&err)?;
    let page = page.clone();
    let token = token.expose().to_owned();
    Ok(tokio::spawn(async move {
        while let Some(event) = paused.next().await {
            let mut headers: Vec<HeaderEntry> = event
                .request
                .headers
                .inner()
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(name, _)| !name.eq_ignore_ascii_case(HEADER))
                .map(|(name, value)| {
                    HeaderEntry::new(name.clone(), value.as_str().unwrap_or_default())
                })
                .collect();
            headers.push(HeaderEntry::new(HEADER, token.clone()));
            let resume = ContinueRequestParams::builder()
                .request_id(event.request_id.clone())
                .headers(headers)
                .build();
            if let Ok(resume) = resume {
                // A tab that closed meanwhile has nothing left to continue.
                let _ = page.execute(resume).await;
            }
        }
    }))
}
