//! `POST /v1/banner-views?site=&revision=&language=&event=`: the banner reports that its first
//! layer was shown (`shown`), or that the visitor left the page with it open and no choice made
//! (`ignored`). The report carries no identifier and sets nothing; only daily sums per site,
//! revision and language are kept (`kapsel_store::ConsentCounts::add_banner_views`), for the
//! console's overview.
//!
//! The banner sends it with `navigator.sendBeacon` and no body, a request no preflight
//! precedes, so the parameters are in the query. Reports are added in groups: each request
//! waits until the transaction holding its view has committed ([`ViewCounter`]), so a 204 means
//! the count survives a crash. The scanner's own reports (`Kapsel-Scan` with the server's
//! token, see `super::scan`) are answered and not counted.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use tokio::sync::{mpsc, oneshot};

use kapsel_store::ledger::counts::{BannerView, ViewEvent};
use kapsel_store::{ConsentCounts, Store, StoreError};

use crate::error::ApiError;
use crate::middleware::cors::origin_allowed;
use crate::state::ConsentState;

/// The most views one transaction adds.
const BATCH: usize = 1024;
/// Views waiting for their transaction before a request waits to queue its own.
const QUEUE: usize = 16 * BATCH;

/// A view and where to answer once its transaction ended (with the store's error as text).
type Waiting = (BannerView, oneshot::Sender<Result<(), String>>);

/// Adds the banner's views in group commits: a task takes what is queued (at most
/// [`BATCH`]), adds it in one transaction and answers every request in it.
#[derive(Clone)]
pub struct ViewCounter {
    queue: mpsc::Sender<Waiting>,
}

impl ViewCounter {
    /// Starts the counting task on `store`; it ends when the last counter is dropped.
    pub fn start(store: Store) -> ViewCounter {
        let (queue, mut incoming) = mpsc::channel::<Waiting>(QUEUE);
        tokio::spawn(async move {
            let mut batch: Vec<Waiting> = Vec::with_capacity(BATCH);
            while incoming.recv_many(&mut batch, BATCH).await > 0 {
                let views: Vec<BannerView> = batch.iter().map(|(v, _)| v.clone()).collect();
                let result = store
                    .add_banner_views(&views)
                    .await
                    .map_err(|e: StoreError| e.to_string());
                if let Err(error) = &result {
                    tracing::warn!(%error, views = views.len(), "banner views not counted");
                }
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(result.clone());
                }
            }
        });
        ViewCounter { queue }
    }

    /// Counts `view`; `Ok` once it is committed.
    pub async fn add(&self, view: BannerView) -> Result<(), ApiError> {
        let (reply, committed) = oneshot::channel();
        self.queue
            .send((view, reply))
            .await
            .map_err(|_| ApiError::Unavailable)?;
        match committed.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(ApiError::StorageUnavailable {
                reason,
                retry_after_s: kapsel_store::RETRY_AFTER_S,
            }),
            Err(_) => Err(ApiError::Unavailable),
        }
    }
}

pub async fn post_view(
    State(state): State<Arc<ConsentState>>,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<StatusCode, ApiError> {
    let mut query = HashMap::new();
    for (name, value) in pairs {
        if query.contains_key(&name) {
            return Err(ApiError::parameter(name, "appears more than once"));
        }
        query.insert(name, value);
    }
    let param = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ApiError::parameter(name, "is required"))
    };
    if let Some(extra) = query
        .keys()
        .find(|k| !["site", "revision", "language", "event"].contains(&k.as_str()))
    {
        return Err(ApiError::parameter(
            extra.as_str(),
            "unknown parameter; expected site, revision, language and event",
        ));
    }
    let site_id = param("site")?;
    let site = state
        .sites
        .get(site_id)
        .ok_or_else(|| ApiError::parameter("site", "is not a site of the privacy file"))?;
    if let Some(origin) = headers.get(header::ORIGIN) {
        let allowed = origin
            .to_str()
            .is_ok_and(|o| origin_allowed(o, site.domains.iter().map(String::as_str)));
        if !allowed {
            return Err(ApiError::ForeignOrigin {
                site: site_id.to_owned(),
            });
        }
    }
    let revision = param("revision")?;
    if !site.knows(revision) {
        return Err(ApiError::UnknownRevision {
            site: site_id.to_owned(),
            revision: revision.to_owned(),
        });
    }
    let language = param("language")?;
    if !state
        .sites
        .privacy
        .languages
        .iter()
        .any(|l| l.as_str() == language)
    {
        return Err(ApiError::parameter(
            "language",
            "is not one of the privacy file's languages",
        ));
    }
    let event = ViewEvent::parse(param("event")?)
        .ok_or_else(|| ApiError::parameter("event", "must be shown or ignored"))?;
    // Kapsel's own scanner (`kapsel scan --token`) is not a visitor: answered, never counted.
    if super::scan::is_scan(&headers, state.scan_token.as_ref())? {
        return Ok(StatusCode::NO_CONTENT);
    }
    state
        .views
        .add(BannerView {
            site: site_id.to_owned(),
            revision: revision.to_owned(),
            language: language.to_owned(),
            event,
            at_ms: state.clock.now_ms(),
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
