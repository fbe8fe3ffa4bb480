//! Starting and stopping the server: derive each feature's state from the configuration,
//! publish each site's current revision to the store (idempotent), start the ledger writer,
//! serve the public (and optional ops) listener (`serve`: timeouts and connection caps) until
//! the shutdown token fires, then drain the writer. The desk's mail is delivered by a
//! background task that stops with the same token.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use kapsel_core::consent::Lifetimes;
use kapsel_core::privacy::revision::{consent_projection, site_revision};
use kapsel_store::{RevisionStore, Store};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::banner::{BannerScripts, EarlierRevisions};
use crate::config::ServerConfig;
use crate::demo::DemoSite;
use crate::middleware::cors::all_domains;
use crate::middleware::ratelimit::RateLimiter;
use crate::ops::metrics;
use crate::router;
use crate::serve::{self, PrefixCap};
use crate::state::{
    AdminAuth, AppState, ConsentState, EdgeState, OpsState, PagesState, SiteState, Sites,
};

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("no usable signing key: {0}")]
    Signing(String),
    #[error("the privacy file's consent settings are unusable: {0}")]
    Lifetimes(#[from] kapsel_core::consent::ExpiryError),
    #[error("could not publish the revision of site {site:?}: {source}")]
    Publish {
        site: String,
        source: kapsel_store::StoreError,
    },
    #[error("could not start the ledger writer: {0}")]
    Ledger(#[from] kapsel_store::LedgerError),
    #[error("the banner scripts could not be built: {0}")]
    Banner(#[from] crate::banner::BannerError),
    #[error("the listener failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the consent gate cannot start: {0}")]
    Gate(#[from] kapsel_gate::GateError),
}

/// The sockets the server answers on: the public one, and optionally the ops listener (health
/// and metrics without a token; bind it to loopback or a private network).
#[derive(Debug)]
pub struct Listeners {
    pub public: TcpListener,
    pub ops: Option<TcpListener>,
}

impl From<TcpListener> for Listeners {
    fn from(public: TcpListener) -> Self {
        Listeners { public, ops: None }
    }
}

/// Serves until `shutdown` is cancelled, then finishes in-flight requests and flushes the ledger.
pub async fn launch(
    config: ServerConfig,
    store: Store,
    listeners: impl Into<Listeners>,
    shutdown: CancellationToken,
) -> Result<(), ServerError> {
    let Listeners { public, ops } = listeners.into();
    let demo = config.demo.then(|| DemoSite::from_file(&config.privacy));
    let connections = config.limits.connections.clone();
    let prefix_cap = PrefixCap {
        max: Some(connections.max_per_prefix),
        proxies: config.proxy.clone(),
        exempt_loopback: config.limits.rate.exempt_loopback,
    };
    let checkpoint_interval = config.checkpoint_interval;
    let retention_config = config.retention.clone();
    let delivery_options = config.gate.delivery.clone();
    let ledger_shutdown = CancellationToken::new();
    let state = prepare(config, store, ledger_shutdown.clone()).await?;
    let gate_workers = crate::gate::start_workers(&state, delivery_options, shutdown.clone());
    let checkpoints = tokio::spawn(crate::evidence::checkpoints::run(
        state.evidence.store.clone(),
        state.evidence.key.clone(),
        state.consent.ledger.chain_id().to_owned(),
        state.consent.clock.clone(),
        checkpoint_interval,
        ledger_shutdown.clone(),
    ));

    let upkeep = tokio::spawn(metrics_upkeep(state.ops.clone(), shutdown.clone()));
    let delivery = tokio::spawn(crate::desk::delivery::run(
        state.desk.clone(),
        shutdown.clone(),
    ));
    let lapse = tokio::spawn(crate::desk::lapse::run(
        state.desk.clone(),
        shutdown.clone(),
    ));
    let sweep = tokio::spawn(crate::desk::sweep::run(
        state.desk.clone(),
        shutdown.clone(),
    ));
    let retention = tokio::spawn(crate::retention::run(
        state.desk.clone(),
        state.evidence.key.clone(),
        retention_config,
        shutdown.clone(),
    ));
    let ops = ops.map(|listener| {
        let app = router::ops(state.clone());
        let token = shutdown.clone();
        let limits = connections.clone();
        tokio::spawn(serve::serve(
            listener,
            app,
            limits,
            PrefixCap::default(),
            token,
        ))
    });

    let app = router::public(state.clone(), demo);
    let served = serve::serve(public, app, connections, prefix_cap, shutdown.clone()).await;
    shutdown.cancel();
    if let Some(ops) = ops
        && let Ok(Err(error)) = ops.await
    {
        tracing::warn!(%error, "ops listener failed");
    }
    upkeep.abort();
    // A round in flight finishes (its SMTP timeout bounds it); no new one starts.
    let _ = delivery.await;
    let _ = lapse.await;
    let _ = sweep.await;
    let _ = retention.await;
    for worker in gate_workers {
        let _ = worker.await;
    }
    // Requests have finished; let the writer commit what is queued, then stop.
    ledger_shutdown.cancel();
    state.consent.ledger.stopped().await;
    // The last head this writer committed is signed before the server says it stopped.
    let _ = checkpoints.await;
    let evidence = &state.evidence;
    let chain_id = state.consent.ledger.chain_id();
    crate::evidence::checkpoints::checkpoint_now(
        &evidence.store,
        &evidence.key,
        chain_id,
        state.consent.clock.as_ref(),
    )
    .await;
    tracing::info!("server stopped");
    Ok(served?)
}

async fn prepare(
    config: ServerConfig,
    store: Store,
    ledger_shutdown: CancellationToken,
) -> Result<AppState, ServerError> {
    let ServerConfig {
        privacy,
        chain_id,
        clock,
        random,
        admin_token,
        limits,
        proxy,
        demo: _,
        signing_key,
        checkpoint_interval: _,
        scan_token,
        desk: desk_config,
        retention: retention_config,
        gate: gate_config,
        console: console_config,
    } = config;
    let lifetimes = Lifetimes::from_settings(&privacy.consent)?;
    let sites = Arc::new(Sites {
        by_id: publish_revisions(&privacy, &store, clock.now_ms()).await?,
        privacy,
    });
    let earlier = earlier_documents(&sites.privacy, &store).await?;
    let banner = BannerScripts::build(
        &sites.privacy,
        |site| sites.current_revision(site).unwrap_or_default().to_owned(),
        &earlier,
    )?;
    let ledger = crate::consent::writer::start_ledger(
        store.clone(),
        chain_id,
        clock.clone(),
        ledger_shutdown.clone(),
    )
    .await?;
    let (signer, evidence) =
        signing(&store, signing_key, ledger.chain_id(), &clock, &random).await?;
    for (key, site) in gate_config
        .write_keys
        .keys()
        .map(|s| (format!("[gate.write_keys] {s}"), s))
        .chain(
            gate_config
                .client_consent
                .iter()
                .map(|s| ("[gate] client_consent".to_owned(), s)),
        )
    {
        if sites.get(site).is_none() {
            return Err(kapsel_gate::GateError::UnknownSite {
                key,
                site: site.clone(),
            }
            .into());
        }
    }
    let jetstream = match &gate_config.jetstream {
        Some((url, stream)) => Some(
            kapsel_gate::JetStreamOutbox::connect(url, stream)
                .await
                .map_err(kapsel_gate::GateError::from)?,
        ),
        None => None,
    };
    let outbox: Arc<dyn kapsel_gate::Outbox> = match &jetstream {
        Some(outbox) => Arc::new(outbox.clone()),
        // Stopped with the ledger's writer: after the last request, so queued events commit.
        None => Arc::new(kapsel_store::GateWriter::start(
            store.clone(),
            ledger_shutdown.clone(),
        )),
    };
    let gate = Arc::new(crate::gate::GateState {
        gate: Arc::new(kapsel_gate::Gate::new(
            sites.privacy.clone(),
            &gate_config.endpoints,
        )?),
        store: store.clone(),
        outbox,
        jetstream,
        write_keys: gate_config.write_keys.into_iter().collect(),
        client_consent: gate_config.client_consent,
        desk_key: desk_config.key.clone(),
        user_id_kind: sites.privacy.gate.user_id.clone(),
        categories: sites
            .privacy
            .categories
            .iter()
            .map(|c| c.id.clone())
            .collect(),
        proxy: proxy.clone(),
        clock: clock.clone(),
        random: random.clone(),
        public_url: desk_config.public_url.trim_end_matches('/').to_owned(),
    });
    let desk = Arc::new(crate::desk::DeskState {
        sites: sites.clone(),
        store: store.clone(),
        clock: clock.clone(),
        random: random.clone(),
        public_url: desk_config.public_url.trim_end_matches('/').to_owned(),
        mail: desk_config.mail,
        delivery_interval: desk_config.delivery_interval,
        lapse_interval: desk_config.lapse_interval,
        per_email_per_day: desk_config.per_email_per_day,
        verify_ttl_ms: millis(desk_config.verify_ttl),
        bundle_ttl_ms: millis(desk_config.bundle_ttl),
        key: desk_config.key,
        connectors: crate::desk::connectors::Connectors::new(desk_config.connectors),
        // The writer's chain id names this instance among those on one store, and stays the
        // same across its restarts, so a restarted instance renews its own leases at once.
        instance: ledger.chain_id().to_owned(),
    });
    let console = Arc::new(crate::console::ConsoleState {
        sites: sites.clone(),
        store: store.clone(),
        clock: clock.clone(),
        random: random.clone(),
        config: console_config,
        retention: retention_config,
    });
    Ok(AppState {
        console,
        consent: Arc::new(ConsentState {
            sites: sites.clone(),
            lifetimes,
            ledger: ledger.clone(),
            records: store.clone(),
            clock,
            random,
            body_limit: limits.body_bytes,
            signer,
            scan_token,
            views: crate::consent::views::ViewCounter::start(store.clone()),
        }),
        desk,
        pages: Arc::new(PagesState {
            sites: sites.clone(),
            revisions: store,
        }),
        banner: Arc::new(banner),
        edge: Arc::new(EdgeState {
            limiter: RateLimiter::new(limits.rate),
            proxy,
            cors_domains: all_domains(&sites.privacy),
            body_limit: limits.body_bytes,
            body_timeout: limits.connections.body_timeout,
        }),
        ops: Arc::new(OpsState {
            metrics: metrics::handle(),
            ledger,
        }),
        admin: Arc::new(AdminAuth(admin_token)),
        evidence,
        gate,
        sites,
    })
}

/// The instance key (the configured one, else one kept in the database), published as the
/// key of `chain_id` from now on; the receipt signer and the evidence routes' state.
async fn signing(
    store: &Store,
    configured: Option<Arc<kapsel_core::signing::SigningKey>>,
    chain_id: &str,
    clock: &Arc<dyn kapsel_core::Clock>,
    random: &Arc<dyn kapsel_core::Random>,
) -> Result<
    (
        crate::consent::signer::ReceiptSigner,
        Arc<crate::evidence::EvidenceState>,
    ),
    ServerError,
> {
    use kapsel_store::SigningKeys as _;
    let key = match configured {
        Some(key) => key,
        None => {
            let name = kapsel_core::signing::DEFAULT_KEY_NAME;
            let kept = kapsel_store::resolve_signing_key(
                store,
                None,
                None,
                chain_id,
                name,
                random.as_ref(),
            )
            .await
            .map_err(|error| ServerError::Signing(error.to_string()))?;
            Arc::new(kept.0)
        }
    };
    store
        .register_key(&key, chain_id, clock.now_ms())
        .await
        .map_err(|error| ServerError::Signing(error.to_string()))?;
    let signer = crate::consent::signer::ReceiptSigner::start(key.clone(), clock.clone());
    let evidence = crate::evidence::EvidenceState {
        store: store.clone(),
        key,
    };
    Ok((signer, Arc::new(evidence)))
}

/// Publishes each site's current revision (idempotent) and reads back the revisions it
/// published before, which visitors may still hold.
async fn publish_revisions(
    privacy: &kapsel_core::privacy::PrivacyFile,
    store: &Store,
    now_ms: kapsel_core::Millis,
) -> Result<HashMap<String, SiteState>, ServerError> {
    let mut sites = HashMap::new();
    for site in &privacy.sites {
        let (Some(revision), Some(projection)) = (
            site_revision(privacy, &site.id),
            consent_projection(privacy, &site.id),
        ) else {
            continue;
        };
        let revision = revision.to_string();
        let publish_error = |source| ServerError::Publish {
            site: site.id.clone(),
            source,
        };
        store
            .publish_revision(&site.id, &revision, now_ms, &projection.to_string())
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
    Ok(sites)
}

/// The stored documents of every revision each site has published: the banner deletes what
/// they declared and the current revision no longer does.
async fn earlier_documents(
    privacy: &kapsel_core::privacy::PrivacyFile,
    store: &Store,
) -> Result<EarlierRevisions, ServerError> {
    let mut earlier = EarlierRevisions::new();
    for site in &privacy.sites {
        let revisions = store
            .revisions(&site.id)
            .await
            .map_err(|source| ServerError::Publish {
                site: site.id.clone(),
                source,
            })?;
        earlier.insert(
            site.id.clone(),
            revisions.into_iter().map(|r| r.document).collect(),
        );
    }
    Ok(earlier)
}

/// Histograms need periodic upkeep; every few seconds until shutdown.
async fn metrics_upkeep(ops: Arc<OpsState>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = every.tick() => ops.metrics.run_upkeep(),
        }
    }
}

/// A duration as whole milliseconds, saturating.
fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
