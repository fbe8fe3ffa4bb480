//! Settings of `kapsel serve`, in layers: built-in defaults, then an optional settings file
//! (`--settings FILE`, TOML), then `KAPSEL_*` environment variables, then flags. Clap reads the
//! flags and the environment; this module reads the file and fills in what neither gave.
//!
//! The settings file rejects unknown keys and wrong types with file:line:column, like the
//! privacy file. The admin token may live in it (keep the file readable by Kapsel only); it is
//! never printed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use kapsel_server::AdminToken;
use serde::Deserialize;

use super::serve::{LogFormat, ServeArgs};

/// The settings file as written: every key optional, unknown keys are errors.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsFile {
    pub config: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<SocketAddr>,
    pub admin_listen: Option<SocketAddr>,
    pub admin_token: Option<String>,
    pub chain_id: Option<String>,
    pub trust_proxy: Option<bool>,
    pub rate_limit: Option<f64>,
    pub rate_burst: Option<u32>,
    pub rate_limit_loopback: Option<bool>,
    pub body_limit: Option<usize>,
    pub log_format: Option<LogFormat>,
}

/// Where the ledger lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    Sqlite { data: PathBuf },
    Postgres { url: String },
}

/// Every setting resolved; what `serve` runs with.
#[derive(Debug)]
pub struct Settings {
    pub config: PathBuf,
    pub backend: Backend,
    pub listen: SocketAddr,
    pub admin_listen: Option<SocketAddr>,
    pub admin_token: Option<AdminToken>,
    pub chain_id: Option<String>,
    pub trust_proxy: bool,
    pub rate_limit: f64,
    pub rate_burst: u32,
    pub rate_limit_loopback: bool,
    pub body_limit: usize,
    pub log_format: LogFormat,
}

pub const DEFAULT_DATA: &str = "./data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_RATE_LIMIT: f64 = 20.0;
pub const DEFAULT_RATE_BURST: u32 = 100;
pub const DEFAULT_BODY_LIMIT: usize = 8192;

impl SettingsFile {
    /// Reads and checks a settings file; errors name the file, line and column.
    pub fn read(path: &Path) -> anyhow::Result<SettingsFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the settings file {}", path.display()))?;
        SettingsFile::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, name: &str) -> anyhow::Result<SettingsFile> {
        toml::from_str(text).map_err(|error| {
            let position = error
                .span()
                .map(|span| {
                    let before = text.get(..span.start).unwrap_or("");
                    let line = before.matches('\n').count() + 1;
                    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!("{name}:{line}:{column}")
                })
                .unwrap_or_else(|| name.to_owned());
            anyhow::anyhow!("{position}: {}", error.message())
        })
    }
}

impl Settings {
    /// Flags and environment (already in `args`) win over the file, the file over defaults.
    pub fn resolve(
        args: &ServeArgs,
        file: SettingsFile,
        env_admin_token: Option<String>,
    ) -> anyhow::Result<Settings> {
        let config = args.config.clone().or(file.config).context(
            "no privacy file: give --config FILE, KAPSEL_CONFIG or `config` in the settings file",
        )?;
        // An explicit --data (or KAPSEL_DATA) means SQLite even when the file names PostgreSQL.
        let backend = match (&args.data, &args.database_url, file.database_url) {
            (Some(data), _, _) => Backend::Sqlite { data: data.clone() },
            (None, Some(url), _) => Backend::Postgres { url: url.clone() },
            (None, None, Some(url)) => Backend::Postgres { url },
            (None, None, None) => Backend::Sqlite {
                data: file.data.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA)),
            },
        };
        let listen = match args.listen.or(file.listen) {
            Some(listen) => listen,
            None => DEFAULT_LISTEN
                .parse()
                .context("the default listen address")?,
        };
        Ok(Settings {
            config,
            backend,
            listen,
            admin_listen: args.admin_listen.or(file.admin_listen),
            admin_token: env_admin_token
                .or(file.admin_token)
                .and_then(AdminToken::new),
            chain_id: args.chain_id.clone().or(file.chain_id),
            trust_proxy: args.trust_proxy || file.trust_proxy.unwrap_or(false),
            rate_limit: args
                .rate_limit
                .or(file.rate_limit)
                .unwrap_or(DEFAULT_RATE_LIMIT),
            rate_burst: args
                .rate_burst
                .or(file.rate_burst)
                .unwrap_or(DEFAULT_RATE_BURST),
            rate_limit_loopback: args.rate_limit_loopback
                || file.rate_limit_loopback.unwrap_or(false),
            body_limit: args
                .body_limit
                .or(file.body_limit)
                .unwrap_or(DEFAULT_BODY_LIMIT),
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
        })
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn args(flags: &[&str]) -> ServeArgs {
        Cli::try_parse_from(std::iter::once("kapsel").chain(flags.iter().copied()))
            .unwrap()
            .serve
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file = SettingsFile::parse(
            "config = \"site.toml\"\nlisten = \"127.0.0.1:9000\"\nbody_limit = 4096\nrate_limit = 5.0\n",
            "kapsel-serve.toml",
        )
        .unwrap();
        let settings =
            Settings::resolve(&args(&["--listen", "127.0.0.1:9100"]), file, None).unwrap();
        assert_eq!(settings.config, PathBuf::from("site.toml"));
        assert_eq!(settings.listen.to_string(), "127.0.0.1:9100");
        assert_eq!(settings.body_limit, 4096);
        assert!((settings.rate_limit - 5.0).abs() < f64::EPSILON);
        assert_eq!(settings.rate_burst, DEFAULT_RATE_BURST);
        assert_eq!(
            settings.backend,
            Backend::Sqlite {
                data: PathBuf::from(DEFAULT_DATA)
            }
        );
    }

    #[test]
    fn an_explicit_data_dir_beats_a_database_url_in_the_file() {
        let file =
            SettingsFile::parse("database_url = \"postgres://db/kapsel\"\n", "s.toml").unwrap();
        let from_file = Settings::resolve(&args(&["--config", "k.toml"]), file, None).unwrap();
        assert_eq!(
            from_file.backend,
            Backend::Postgres {
                url: "postgres://db/kapsel".into()
            }
        );
        let file =
            SettingsFile::parse("database_url = \"postgres://db/kapsel\"\n", "s.toml").unwrap();
        let flag = Settings::resolve(
            &args(&["--config", "k.toml", "--data", "/tmp/k"]),
            file,
            None,
        )
        .unwrap();
        assert_eq!(
            flag.backend,
            Backend::Sqlite {
                data: PathBuf::from("/tmp/k")
            }
        );
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_line_and_column() {
        let error = SettingsFile::parse(
            "listen = \"127.0.0.1:1\"\nlistn = \"x\"\n",
            "kapsel-serve.toml",
        )
        .err()
        .unwrap()
        .to_string();
        assert!(error.starts_with("kapsel-serve.toml:2:1: "), "{error}");
        assert!(error.contains("unknown field `listn`"), "{error}");
        let error = SettingsFile::parse("\n\nbody_limit = \"big\"\n", "s.toml")
            .err()
            .unwrap()
            .to_string();
        assert!(error.starts_with("s.toml:3:14: "), "{error}");
    }

    #[test]
    fn a_missing_privacy_file_is_named() {
        let error = Settings::resolve(&args(&[]), SettingsFile::default(), None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("--config"), "{error}");
    }

    #[test]
    fn the_admin_token_from_the_environment_wins_and_is_never_shown() {
        let file = SettingsFile::parse(
            "config = \"k.toml\"\nadmin_token = \"from-file-secret\"\n",
            "s.toml",
        )
        .unwrap();
        let settings = Settings::resolve(&args(&[]), file, Some("from-env-secret".into())).unwrap();
        let token = settings.admin_token.unwrap();
        assert!(token.matches("from-env-secret"));
        assert!(!format!("{settings:?}", settings = token).contains("secret"));
    }
}
