//! Starting and stopping the server: derive the state from the configuration, publish each
//! site's current revision to the store (idempotent), start the ledger writer, serve the public
//! (and optional admin) listener until the shutdown token fires, then drain the writer.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use kapsel_core::consent::Lifetimes;
use kapsel_core::privacy::revision::{consent_projection, site_revision};
use kapsel_core::{Clock, Millis};
use kapsel_store::{Ledger, Store};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::ServerConfig;
use crate::cors::all_domains;
use crate::ratelimit::RateLimiter;
use crate::state::{AppState, Shared, SiteState};
use crate::{metrics, router};

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("the privacy file's consent settings are unusable: {0}")]
    Lifetimes(#[from] kapsel_core::consent::ExpiryError),
    #[error("could not publish the revision of site {site:?}: {source}")]
    Publish {
        site: String,
        source: kapsel_store::StoreError,
    },
    #[error("could not start the ledger writer: {0}")]
    Ledger(#[from] kapsel_store::LedgerError),
    #[error("the listener failed: {0}")]
    Io(#[from] std::io::Error),
}

/// The wall clock, for the server only (core takes time as a parameter).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> Millis {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// Serves until `shutdown` is cancelled, then finishes in-flight requests and flushes the ledger.
pub async fn launch(
    config: ServerConfig,
    store: Store,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let admin_listener = config.admin_listener;
    let ledger_shutdown = CancellationToken::new();
    let state = AppState(Arc::new(
        prepare(
            config.privacy,
            config.chain_id,
            config.admin_token,
            config.limits,
            config.trust_proxy,
            store,
            ledger_shutdown.clone(),
        )
        .await?,
    ));

    let upkeep = tokio::spawn(metrics_upkeep(state.clone(), shutdown.clone()));
    let admin = admin_listener.map(|listener| {
        let app = router::admin(state.clone());
        let token = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(token.cancelled_owned())
                .await
        })
    });

    let app = router::public(state.clone());
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown.clone().cancelled_owned())
    .await;
    shutdown.cancel();
    if let Some(admin) = admin
        && let Ok(Err(error)) = admin.await
    {
        tracing::warn!(%error, "admin listener failed");
    }
    upkeep.abort();
    // Requests have finished; let the writer commit what is queued, then stop.
    ledger_shutdown.cancel();
    state.ledger.stopped().await;
    tracing::info!("server stopped");
    Ok(served?)
}

async fn prepare(
    privacy: Arc<kapsel_core::privacy::PrivacyFile>,
    chain_id: String,
    admin_token: Option<crate::config::AdminToken>,
    limits: crate::config::Limits,
    trust_proxy: bool,
    store: Store,
    ledger_shutdown: CancellationToken,
) -> Result<Shared, ServerError> {
    let lifetimes = Lifetimes::from_settings(&privacy.consent)?;
    let now = SystemClock.now_ms();
    let mut sites = HashMap::new();
    for site in &privacy.sites {
        let (Some(revision), Some(projection)) = (
            site_revision(&privacy, &site.id),
            consent_projection(&privacy, &site.id),
        ) else {
            continue;
        };
        let revision = revision.to_string();
        let document = projection.to_string();
        let publish_error = |source| ServerError::Publish {
            site: site.id.clone(),
            source,
        };
        store
            .publish_revision(&site.id, &revision, now, &document)
            .await
            .map_err(publish_error)?;
        let known: HashSet<String> = store
            .revisions(&site.id)
            .await
            .map_err(publish_error)?
            .into_iter()
            .map(|published| published.revision)
            .collect();
        tracing::info!(site = %site.id, %revision, known = known.len(), "revision published");
        sites.insert(
            site.id.clone(),
            SiteState::new(revision, site.domains.clone(), known),
        );
    }
    let ledger = Ledger::start(
        store.clone(),
        chain_id.clone(),
        Arc::new(SystemClock),
        ledger_shutdown,
    )
    .await?;
    Ok(Shared {
        cors_domains: all_domains(&privacy),
        privacy,
        sites,
        lifetimes,
        store,
        ledger,
        chain_id,
        limiter: RateLimiter::new(limits.rate),
        metrics: metrics::handle(),
        admin_token,
        trust_proxy,
        body_limit: limits.body_bytes,
    })
}

/// Histograms need periodic upkeep; every few seconds until shutdown.
async fn metrics_upkeep(state: AppState, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = every.tick() => state.metrics.run_upkeep(),
        }
    }
}
