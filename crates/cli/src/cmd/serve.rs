//! `kapsel serve`: flags, `KAPSEL_*` variables and an optional settings file (in that order of
//! precedence, then defaults; see `serve_settings`) into a validated server configuration; opens the store, migrates it, binds the listener,
//! prints `kapsel listening on http://ADDR` once bound, and serves until SIGTERM or ctrl-c.
//!
//! An invalid privacy file is refused with the same report `kapsel check` prints; unknown flags
//! are refused by clap. Unknown `KAPSEL_*` variables get a warning naming them (other commands
//! and test harnesses have their own, such as `KAPSEL_CHROMIUM`), so a misspelt setting is
//! never silently ignored.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use kapsel_server::{Limits, RateLimit, ServerConfig};
use kapsel_store::Store;
use tokio_util::sync::CancellationToken;

use super::serve_settings::{Backend, Settings, SettingsFile};

/// Environment variables `kapsel serve` reads (through clap) or tolerates.
const KNOWN_ENV: [&str; 15] = [
    "KAPSEL_SETTINGS",
    "KAPSEL_CONFIG",
    "KAPSEL_DATA",
    "KAPSEL_DATABASE_URL",
    "KAPSEL_LISTEN",
    "KAPSEL_ADMIN_LISTEN",
    "KAPSEL_ADMIN_TOKEN",
    "KAPSEL_CHAIN_ID",
    "KAPSEL_TRUST_PROXY",
    "KAPSEL_RATE_LIMIT",
    "KAPSEL_RATE_BURST",
    "KAPSEL_RATE_LIMIT_LOOPBACK",
    "KAPSEL_BODY_LIMIT",
    "KAPSEL_LOG_FORMAT",
    "KAPSEL_LOG",
];

/// Flags of `kapsel serve`; each can also come from the `KAPSEL_*` variable named beside it or
/// from the settings file. Defaults are applied in `serve_settings`, after the file.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML settings file with any of the keys below (snake_case); flags and env win over it.
    #[arg(long, env = "KAPSEL_SETTINGS")]
    pub settings: Option<PathBuf>,
    /// The privacy file (kapsel.toml).
    #[arg(long, env = "KAPSEL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory for the embedded SQLite database and the instance id [default: ./data].
    #[arg(long, env = "KAPSEL_DATA", conflicts_with = "database_url")]
    pub data: Option<PathBuf>,
    /// PostgreSQL instead of SQLite: postgres://user@host:5432/db.
    #[arg(long, env = "KAPSEL_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Address of the public listener; port 0 picks a free port [default: 127.0.0.1:8080].
    #[arg(long, env = "KAPSEL_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Address of the admin listener (/metrics without a token, /healthz).
    #[arg(long, env = "KAPSEL_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
    /// This instance's ledger chain; each instance sharing a database needs its own.
    /// Default: an id kept in the data directory (SQLite) or in the database.
    #[arg(long, env = "KAPSEL_CHAIN_ID")]
    pub chain_id: Option<String>,
    /// Trust the first X-Forwarded-For address (only behind a reverse proxy that sets it).
    #[arg(long, env = "KAPSEL_TRUST_PROXY")]
    pub trust_proxy: bool,
    /// Sustained consent requests per second per address prefix (IPv4 /24, IPv6 /48); 0 = off
    /// [default: 20].
    #[arg(long, env = "KAPSEL_RATE_LIMIT")]
    pub rate_limit: Option<f64>,
    /// Requests a prefix may make at once before being throttled [default: 100].
    #[arg(long, env = "KAPSEL_RATE_BURST")]
    pub rate_burst: Option<u32>,
    /// Rate-limit loopback clients too (by default they are exempt, for local tests and benchmarks).
    #[arg(long, env = "KAPSEL_RATE_LIMIT_LOOPBACK")]
    pub rate_limit_loopback: bool,
    /// Largest accepted consent request body in bytes [default: 8192].
    #[arg(long, env = "KAPSEL_BODY_LIMIT")]
    pub body_limit: Option<usize>,
    /// Log format on stderr [default: text].
    #[arg(long, env = "KAPSEL_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let file = match &args.settings {
        Some(path) => SettingsFile::read(path)?,
        None => SettingsFile::default(),
    };
    let settings = Settings::resolve(&args, file, std::env::var("KAPSEL_ADMIN_TOKEN").ok())?;
    init_logging(settings.log_format);
    if let Err(warning) = reject_unknown_env(std::env::vars().map(|(key, _)| key)) {
        tracing::warn!("{warning}");
    }
    let source = std::fs::read_to_string(&settings.config)
        .with_context(|| format!("cannot read the privacy file {}", settings.config.display()))?;
    let privacy = match kapsel_core::privacy::load(&source, &settings.config.display().to_string())
    {
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
    runtime.block_on(serve(settings, privacy))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: Settings, privacy: kapsel_core::privacy::PrivacyFile) -> anyhow::Result<()> {
    let (store, data_dir) = match &args.backend {
        Backend::Postgres { url } => (
            Store::open_postgres(url)
                .await
                .context("cannot open PostgreSQL")?,
            None,
        ),
        Backend::Sqlite { data } => (
            Store::open_data_dir(data)
                .await
                .with_context(|| format!("cannot open the data directory {}", data.display()))?,
            Some(data.as_path()),
        ),
    };
    store
        .migrate()
        .await
        .context("cannot apply the database migrations")?;
    let chain_id = store
        .resolve_chain_id(args.chain_id.as_deref(), data_dir)
        .await
        .context("cannot determine this instance's chain id")?;

    let mut config = ServerConfig::new(Arc::new(privacy), chain_id);
    config.admin_token = args.admin_token.clone();
    config.trust_proxy = args.trust_proxy;
    config.limits = Limits {
        body_bytes: args.body_limit,
        rate: RateLimit {
            per_second: args.rate_limit,
            burst: args.rate_burst,
            exempt_loopback: !args.rate_limit_loopback,
        },
    };
    if let Some(admin) = args.admin_listen {
        let listener = tokio::net::TcpListener::bind(admin)
            .await
            .with_context(|| format!("cannot listen on {admin} (admin)"))?;
        tracing::info!(addr = %listener.local_addr()?, "admin listener bound");
        config.admin_listener = Some(listener);
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let bound = listener.local_addr()?;
    tracing::info!(chain_id = %config.chain_id, "starting");

    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    let server = kapsel_server::launch(config, store.clone(), listener, shutdown);
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

/// Names the `KAPSEL_*` variables this command does not read (test-harness ones excepted).
fn reject_unknown_env(keys: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let unknown: Vec<String> = keys
        .filter(|k| k.starts_with("KAPSEL_"))
        .filter(|k| !KNOWN_ENV.contains(&k.as_str()))
        .filter(|k| !k.starts_with("KAPSEL_TEST_") && k != "KAPSEL_REQUIRE_ALL")
        .collect();
    if !unknown.is_empty() {
        bail!(
            "ignoring environment variable(s) {} that kapsel serve does not read; it reads {}",
            unknown.join(", "),
            KNOWN_ENV.join(", ")
        );
    }
    Ok(())
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("KAPSEL_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kapsel_variables_are_refused_by_name() {
        let ok = [
            "PATH",
            "KAPSEL_LISTEN",
            "KAPSEL_TEST_DATABASE_URL",
            "KAPSEL_REQUIRE_ALL",
        ];
        assert!(reject_unknown_env(ok.iter().map(|s| s.to_string())).is_ok());
        let bad = ["KAPSEL_LISTN"];
        let error = reject_unknown_env(bad.iter().map(|s| s.to_string())).unwrap_err();
        assert!(error.to_string().contains("KAPSEL_LISTN"), "{error}");
    }
}
