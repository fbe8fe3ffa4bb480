//! `kapsel serve`: flags and environment (flags win, then `KAPSEL_*` variables, then defaults)
//! into a validated server configuration; opens the store, migrates it, binds the listener,
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
use kapsel_server::{AdminToken, Limits, RateLimit, ServerConfig};
use kapsel_store::Store;
use tokio_util::sync::CancellationToken;

/// Environment variables `kapsel serve` reads (through clap) or tolerates.
const KNOWN_ENV: [&str; 14] = [
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

/// Flags of `kapsel serve`; each can also come from the `KAPSEL_*` variable named beside it.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The privacy file (kapsel.toml).
    #[arg(long, env = "KAPSEL_CONFIG")]
    pub config: PathBuf,
    /// Directory for the embedded SQLite database and the instance id.
    #[arg(long, env = "KAPSEL_DATA", default_value = "./data", conflicts_with = "database_url")]
    pub data: PathBuf,
    /// PostgreSQL instead of SQLite: postgres://user@host:5432/db.
    #[arg(long, env = "KAPSEL_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Address of the public listener; port 0 picks a free port.
    #[arg(long, env = "KAPSEL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
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
    /// Sustained consent requests per second per address prefix (IPv4 /24, IPv6 /48); 0 = off.
    #[arg(long, env = "KAPSEL_RATE_LIMIT", default_value_t = 20.0)]
    pub rate_limit: f64,
    /// Requests a prefix may make at once before being throttled.
    #[arg(long, env = "KAPSEL_RATE_BURST", default_value_t = 100)]
    pub rate_burst: u32,
    /// Rate-limit loopback clients too (by default they are exempt, for local tests and benchmarks).
    #[arg(long, env = "KAPSEL_RATE_LIMIT_LOOPBACK")]
    pub rate_limit_loopback: bool,
    /// Largest accepted consent request body in bytes.
    #[arg(long, env = "KAPSEL_BODY_LIMIT", default_value_t = 8192)]
    pub body_limit: usize,
    /// Log format on stderr.
    #[arg(long, env = "KAPSEL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging(args.log_format);
    if let Err(warning) = reject_unknown_env(std::env::vars().map(|(key, _)| key)) {
        tracing::warn!("{warning}");
    }
    let source = std::fs::read_to_string(&args.config)
        .with_context(|| format!("cannot read the privacy file {}", args.config.display()))?;
    let privacy = match kapsel_core::privacy::load(&source, &args.config.display().to_string()) {
        Ok(privacy) => privacy,
        Err(problems) => {
            eprintln!("{problems}");
            eprintln!("{} problem(s); the server does not start on an invalid privacy file", problems.len());
            return Ok(ExitCode::FAILURE);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args, privacy))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs, privacy: kapsel_core::privacy::PrivacyFile) -> anyhow::Result<()> {
    let (store, data_dir) = match &args.database_url {
        Some(url) => (Store::open_postgres(url).await.context("cannot open PostgreSQL")?, None),
        None => (
            Store::open_data_dir(&args.data)
                .await
                .with_context(|| format!("cannot open the data directory {}", args.data.display()))?,
            Some(args.data.as_path()),
        ),
    };
    store.migrate().await.context("cannot apply the database migrations")?;
    let chain_id = store
        .resolve_chain_id(args.chain_id.as_deref(), data_dir)
        .await
        .context("cannot determine this instance's chain id")?;

    let mut config = ServerConfig::new(Arc::new(privacy), chain_id);
    config.admin_token = std::env::var("KAPSEL_ADMIN_TOKEN").ok().and_then(AdminToken::new);
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
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
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
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
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
        let ok = ["PATH", "KAPSEL_LISTEN", "KAPSEL_TEST_DATABASE_URL", "KAPSEL_REQUIRE_ALL"];
        assert!(reject_unknown_env(ok.iter().map(|s| s.to_string())).is_ok());
        let bad = ["KAPSEL_LISTN"];
        let error = reject_unknown_env(bad.iter().map(|s| s.to_string())).unwrap_err();
        assert!(error.to_string().contains("KAPSEL_LISTN"), "{error}");
    }
}
