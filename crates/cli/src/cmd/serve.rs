//! `kapsel serve`: flags as the top layer over `KAPSEL_*` variables, the settings file and the
//! defaults (`crate::settings`, docs/settings.md); then binds the listeners, opens and migrates
//! the store, prints `kapsel listening on http://ADDR` once bound, and serves until SIGTERM or
//! ctrl-c. `--print-settings` prints the resolved settings (secrets redacted) and exits.
//!
//! The listeners are bound before the store is opened, so an address in use leaves no data
//! directory behind. An invalid privacy file is refused with the same report `kapsel check`
//! prints; unknown flags, settings keys and `KAPSEL_*` variables are refused by name.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use tokio_util::sync::CancellationToken;
use toml::Table;

use super::migrate::StoreArgs;
use crate::settings::log::LogFormat;
use crate::settings::store::Open;
use crate::settings::{Settings, put};

/// Flags of `kapsel serve`, each the top layer over a key of the settings (named beside it;
/// the defaults are the sections' own, shown by `--print-settings`).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// `--settings`, `--data`, `--database-url` ([store] data, database_url).
    #[command(flatten)]
    pub store: StoreArgs,
    /// The privacy file, kapsel.toml ([server] privacy_file).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Mount the demo site with its fake trackers at /demo/ ([server] demo).
    #[arg(long)]
    pub demo: bool,
    /// Address of the public listener; port 0 picks a free port ([listen] public).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Address of the ops listener: /healthz and /metrics without a token ([listen] ops).
    #[arg(long, visible_alias = "admin-listen")]
    pub ops_listen: Option<SocketAddr>,
    /// This instance's ledger chain; each instance sharing a database needs its own
    /// ([store] chain_id). Default: an id kept in the data directory or the database.
    #[arg(long)]
    pub chain_id: Option<String>,
    /// Believe the forwarding header of proxies on loopback and private networks
    /// ([proxy] trust); list the proxies themselves with --trusted-proxy instead.
    #[arg(long)]
    pub trust_proxy: bool,
    /// A reverse proxy's network or address whose forwarding header is believed; repeat for
    /// each ([proxy] trusted).
    #[arg(long, value_name = "NET")]
    pub trusted_proxy: Vec<String>,
    /// Sustained consent requests per second per address prefix (IPv4 /24, IPv6 /48); 0 = off
    /// ([limits] rate_per_second).
    #[arg(long)]
    pub rate_limit: Option<f64>,
    /// Requests a prefix may make at once before being throttled ([limits] rate_burst).
    #[arg(long)]
    pub rate_burst: Option<u32>,
    /// Rate-limit loopback clients too; they are exempt by default, for local tests and
    /// benchmarks ([limits] exempt_loopback = false).
    #[arg(long)]
    pub rate_limit_loopback: bool,
    /// Largest accepted consent request body in bytes ([limits] body_bytes).
    #[arg(long)]
    pub body_limit: Option<usize>,
    /// Log format on stderr ([log] format).
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// Print the resolved settings, every default included, as TOML (secrets shown as
    /// <redacted>) and exit.
    #[arg(long)]
    pub print_settings: bool,
}

impl ServeArgs {
    /// The keys these flags set, as the top settings layer.
    pub fn flags(&self) -> anyhow::Result<Table> {
        let mut layer = self.store.flags()?;
        put(
            &mut layer,
            &["server", "privacy_file"],
            self.config.as_ref(),
        )?;
        put(&mut layer, &["server", "demo"], self.demo.then_some(true))?;
        put(&mut layer, &["listen", "public"], self.listen)?;
        put(&mut layer, &["listen", "ops"], self.ops_listen)?;
        put(&mut layer, &["store", "chain_id"], self.chain_id.as_ref())?;
        put(
            &mut layer,
            &["proxy", "trust"],
            self.trust_proxy.then_some(true),
        )?;
        let trusted = (!self.trusted_proxy.is_empty()).then_some(&self.trusted_proxy);
        put(&mut layer, &["proxy", "trusted"], trusted)?;
        put(&mut layer, &["limits", "rate_per_second"], self.rate_limit)?;
        put(&mut layer, &["limits", "rate_burst"], self.rate_burst)?;
        let throttle_loopback = self.rate_limit_loopback.then_some(false);
        put(
            &mut layer,
            &["limits", "exempt_loopback"],
            throttle_loopback,
        )?;
        put(&mut layer, &["limits", "body_bytes"], self.body_limit)?;
        put(&mut layer, &["log", "format"], self.log_format)?;
        Ok(layer)
    }

    /// Every layer: these flags over the environment, the settings file and the defaults.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        Settings::load(self.store.settings.as_deref(), self.flags()?)
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let settings = args.settings()?;
    if args.print_settings {
        let mut stdout = std::io::stdout().lock();
        write!(stdout, "{}", settings.to_toml()?)?;
        stdout.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    settings.log.init();
    tracing::debug!(?settings, "settings");
    let path = settings.server.privacy_file()?;
    let source = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the privacy file {}", path.display()))?;
    let privacy = match kapsel_core::privacy::load(&source, &path.display().to_string()) {
        Ok(privacy) => privacy,
        Err(problems) => {
            eprintln!("{problems}");
            eprintln!(
                "{} problem(s); the server does not start on an invalid privacy file",
                problems.len()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let source = (path.display().to_string(), source);
    runtime.block_on(serve(settings, privacy, source))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(
    settings: Settings,
    privacy: kapsel_core::privacy::PrivacyFile,
    source: (String, String),
) -> anyhow::Result<()> {
    // The scheduled scans name sites of the file: a wrong one stops the server before it starts.
    let scans = settings.scan.schedule(&privacy)?;
    // Bound first: an address in use must not leave a fresh data directory behind.
    let listeners = settings.listen.bind().await?;
    let bound = listeners.public.local_addr()?;
    // One server per SQLite data directory, for as long as this process lives.
    let _data_lock = settings.store.lock_data_dir()?;
    let store = settings.store.open(Open::CreateIfMissing).await?;
    store
        .migrate()
        .await
        .context("cannot apply the database migrations")?;
    let chain_id = settings.store.resolve_chain_id(&store).await?;
    let mut config = settings.server_config(Arc::new(privacy), chain_id);
    config.console.privacy_source = Some(source);
    if settings.server.public_url.is_none() {
        config.desk.public_url = format!("http://{bound}");
    }
    // `[mail]` was checked when the settings were loaded; without `smtp_url` messages stay in
    // the outbox for `kapsel outbox`.
    config.desk.mail = Some(kapsel_server::MailConfig {
        smtp: settings.mail.smtp()?,
        sender: settings.mail.sender()?,
    });
    let now_ms = config.clock.now_ms();
    let key = settings
        .signing
        .key(&store, &settings.store, &config.chain_id, now_ms)
        .await?;
    tracing::info!(key = %key.public().verifier_key(), "signing with");
    config.signing_key = Some(Arc::new(key));
    config.checkpoint_interval = settings.signing.checkpoint_interval();
    tracing::info!(chain_id = %config.chain_id, demo = config.demo, "starting");

    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    if let Some(schedule) = scans {
        tokio::spawn(super::scan_schedule::run(
            schedule,
            config.privacy.clone(),
            store.clone(),
            config.chain_id.clone(),
            shutdown.clone(),
        ));
    }
    let server = kapsel_server::launch(config, store.clone(), listeners, shutdown);
    // The line is printed once the socket is bound; requests queue until launch accepts them.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "kapsel listening on http://{bound}")?;
    stdout.flush()?;
    drop(stdout);
    server.await?;
    store.close().await;
    Ok(())
}

async fn stop_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM; ctrl-c only");
                    let _ = ctrl_c.await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
    shutdown.cancel();
}
