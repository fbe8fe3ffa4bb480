//! The settings as `kapsel serve` reads them: sections, the four layers and their order,
//! unknown keys, and secrets that never show.

use std::path::PathBuf;

use clap::Parser;
use kapsel_server::{Limits, RateLimit};
use toml::Table;

use super::layers::parse_file;
use super::{Settings, env};
use crate::cmd::serve::ServeArgs;
use crate::settings::store::DEFAULT_DATA;

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

fn env_layer(vars: &[(&str, &str)]) -> Table {
    env::layer(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))).unwrap()
}

/// The settings from a file's text, variables and flags.
fn resolve(file: &str, vars: &[(&str, &str)], flags: &[&str]) -> anyhow::Result<Settings> {
    let file = parse_file(file, "kapsel-serve.toml")?;
    Settings::from_layers(Some(file), env_layer(vars), args(flags).flags()?)
}

#[test]
fn flags_win_over_the_file_and_the_file_over_defaults() {
    let settings = resolve(
        "[server]\nprivacy_file = \"site.toml\"\n[listen]\npublic = \"127.0.0.1:9000\"\n\
         [limits]\nbody_bytes = 4096\nrate_per_second = 5.0\n",
        &[],
        &["--listen", "127.0.0.1:9100"],
    )
    .unwrap();
    assert_eq!(
        settings.server.privacy_file,
        Some(PathBuf::from("site.toml"))
    );
    assert_eq!(settings.listen.public.to_string(), "127.0.0.1:9100");
    assert_eq!(settings.limits.body_bytes, 4096);
    assert!((settings.limits.rate_per_second - 5.0).abs() < f64::EPSILON);
    assert_eq!(settings.limits.rate_burst, RateLimit::default().burst);
    assert_eq!(
        settings.store.data_dir(),
        Some(PathBuf::from(DEFAULT_DATA).as_path())
    );
    assert!(settings.store.database_url.is_none());
}

#[test]
fn every_layer_wins_over_the_one_below() {
    let file = "[limits]\nrate_burst = 10\nbody_bytes = 10\nrate_per_second = 10\n";
    let vars = [
        ("KAPSEL_LIMITS__RATE_BURST", "20"),
        ("KAPSEL_LIMITS__BODY_BYTES", "20"),
    ];
    let settings = resolve(file, &vars, &["--rate-burst", "30"]).unwrap();
    assert_eq!(settings.limits.rate_burst, 30, "flag over env");
    assert_eq!(settings.limits.body_bytes, 20, "env over file");
    assert!(
        (settings.limits.rate_per_second - 10.0).abs() < f64::EPSILON,
        "file over default"
    );
    assert_eq!(
        settings.limits.exempt_loopback,
        RateLimit::default().exempt_loopback,
        "defaults under everything"
    );
    let defaults = Settings::from_layers(None, Table::new(), Table::new()).unwrap();
    assert_eq!(Limits::from(&defaults.limits), Limits::default());
    assert_eq!(defaults.listen.public.to_string(), "127.0.0.1:8080");
    assert!(!defaults.server.demo && !defaults.proxy.trust);
    assert!(
        !Settings::default()
            .to_toml()
            .unwrap()
            .contains("<redacted>")
    );
}

#[test]
fn every_section_is_read_from_the_file() {
    let settings = resolve(
        r#"
[server]
privacy_file = "/etc/kapsel/kapsel.toml"
demo = true
[listen]
public = "0.0.0.0:8080"
ops = "127.0.0.1:9090"
[store]
database_url = "postgres://kapsel:pw@db/kapsel"
chain_id = "web-1"
[limits]
exempt_loopback = false
[proxy]
trust = true
[admin]
token = "fictional-admin-secret"
[log]
format = "json"
[mail]
smtp_url = "smtp://desk:fictional-smtp-pw@smtp.example.no:587?tls=required"
from = "Kapsel personvern <personvern@example.no>"
timeout_s = 20
[jobs]
[connectors.shop]
url = "mysql://shop:pw@db/shop"
[destinations.segment.credentials]
write_key = "fictional-write-key"
"#,
        &[],
        &[],
    )
    .unwrap();
    assert!(settings.server.demo);
    assert_eq!(settings.listen.ops.unwrap().to_string(), "127.0.0.1:9090");
    assert_eq!(
        settings.store.data_dir(),
        None,
        "PostgreSQL has no data directory"
    );
    assert_eq!(settings.store.chain_id.as_deref(), Some("web-1"));
    assert!(!settings.limits.exempt_loopback);
    assert!(settings.proxy.trust);
    assert!(
        settings
            .admin
            .token
            .unwrap()
            .matches("fictional-admin-secret")
    );
    assert_eq!(settings.log.format, super::log::LogFormat::Json);
    assert_eq!(
        settings.connectors["shop"].url.expose(),
        "mysql://shop:pw@db/shop"
    );
    let segment = &settings.destinations["segment"].credentials["write_key"];
    assert_eq!(segment.expose(), "fictional-write-key");
    assert!(settings.mail.smtp().unwrap().is_some());
    assert_eq!(settings.mail.sender().unwrap().domain(), "example.no");
    let printed = toml::to_string(&settings.mail).unwrap();
    assert!(!printed.contains("fictional-smtp-pw"), "{printed}");
    assert!(printed.contains("<redacted>"), "{printed}");
    assert_eq!(settings.mail.timeout_s, 20);
}

#[test]
fn mail_settings_are_checked_at_load_naming_the_key() {
    let defaults = resolve("", &[], &[]).unwrap();
    assert!(
        defaults.mail.smtp().unwrap().is_none(),
        "kept in the outbox by default"
    );
    assert_eq!(defaults.mail.timeout_s, 10);
    for (file, vars, expected) in [
        (
            "[mail]\nsmtp_url = \"smtp://127.0.0.1:2525\"\n",
            &[][..],
            "[mail] from is required when [mail] smtp_url is set",
        ),
        (
            "",
            &[("KAPSEL_MAIL__SMTP_URL", "smtp://127.0.0.1:2525")][..],
            "[mail] from is required",
        ),
        (
            "[mail]\nfrom = \"not an address\"\n",
            &[][..],
            "[mail] from is not an e-mail address",
        ),
        (
            "[mail]\nsmtp_url = \"http://user:secret-pw@example.no\"\nfrom = \"a@example.no\"\n",
            &[][..],
            "[mail] smtp_url is not a usable SMTP URL",
        ),
        (
            "[mail]\ntimeout_s = 0\n",
            &[][..],
            "[mail] timeout_s must be at least 1",
        ),
    ] {
        let error = format!("{:#}", resolve(file, vars, &[]).unwrap_err());
        assert!(error.contains(expected), "{file:?} {vars:?}: {error}");
        assert!(!error.contains("secret-pw"), "{error}");
    }
    let set = resolve(
        "",
        &[
            ("KAPSEL_MAIL__SMTP_URL", "smtps://u:p@smtp.example.no"),
            ("KAPSEL_MAIL__FROM", "desk@example.no"),
            ("KAPSEL_MAIL__TIMEOUT_S", "3"),
        ],
        &[],
    )
    .unwrap();
    assert_eq!(set.mail.timeout_s, 3);
    assert!(set.mail.smtp().unwrap().is_some());
}

#[test]
fn an_explicit_data_dir_beats_a_database_url_in_the_file() {
    let file =
        "[server]\nprivacy_file = \"k.toml\"\n[store]\ndatabase_url = \"postgres://db/kapsel\"\n";
    let from_file = resolve(file, &[], &[]).unwrap();
    assert_eq!(
        from_file.store.database_url.unwrap().expose(),
        "postgres://db/kapsel"
    );
    let flag = resolve(file, &[], &["--data", "/tmp/k"]).unwrap();
    assert_eq!(
        flag.store.data_dir(),
        Some(PathBuf::from("/tmp/k").as_path())
    );
    assert!(flag.store.database_url.is_none());
    let env = resolve(file, &[("KAPSEL_DATA", "/tmp/e")], &[]).unwrap();
    assert_eq!(
        env.store.data_dir(),
        Some(PathBuf::from("/tmp/e").as_path())
    );
}

#[test]
fn one_layer_naming_both_store_locations_is_refused() {
    let error = parse_file(
        "[store]\ndata = \"d\"\ndatabase_url = \"postgres://x\"\n",
        "s.toml",
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("s.toml: give either store.data or store.database_url"),
        "{error}"
    );
    let vars = [
        ("KAPSEL_DATA", "d"),
        ("KAPSEL_STORE__DATABASE_URL", "postgres://x"),
    ];
    let error = resolve("", &vars, &[]).unwrap_err().to_string();
    assert!(error.contains("the environment"), "{error}");
}

#[test]
fn unknown_keys_and_wrong_types_name_the_line_and_column() {
    let error = parse_file("[listen]\nlistn = \"x\"\n", "kapsel-serve.toml")
        .err()
        .unwrap()
        .to_string();
    assert!(error.starts_with("kapsel-serve.toml:2:1: "), "{error}");
    assert!(error.contains("unknown field `listn`"), "{error}");
    let error = parse_file("[limits]\n\nbody_bytes = \"big\"\n", "s.toml")
        .err()
        .unwrap()
        .to_string();
    assert!(error.starts_with("s.toml:3:14: "), "{error}");
    let error = parse_file("[mail]\nhost = \"smtp.example.no\"\n", "s.toml")
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.starts_with("s.toml:2:1: "),
        "[mail] has no key host: {error}"
    );
    assert!(
        error.starts_with("s.toml:2:1: "),
        "[mail] takes no keys yet: {error}"
    );
    let error = parse_file(
        "[connectors.shop]\nurl = \"x\"\npassword = \"y\"\n",
        "s.toml",
    )
    .err()
    .unwrap()
    .to_string();
    assert!(error.starts_with("s.toml:3:1: "), "{error}");
}

#[test]
fn a_missing_privacy_file_is_named() {
    let settings = resolve("", &[], &[]).unwrap();
    let error = settings.server.privacy_file().unwrap_err().to_string();
    assert!(error.contains("--config"), "{error}");
}

#[test]
fn the_admin_token_from_the_environment_wins_and_is_never_shown() {
    let file = "[server]\nprivacy_file = \"k.toml\"\n[admin]\ntoken = \"from-file-secret\"\n";
    for name in ["KAPSEL_ADMIN_TOKEN", "KAPSEL_ADMIN__TOKEN"] {
        let settings = resolve(file, &[(name, "from-env-secret")], &[]).unwrap();
        let token = settings.admin.token.clone().unwrap();
        assert!(token.matches("from-env-secret"));
        assert!(!format!("{settings:?}", settings = token).contains("secret"));
    }
}

#[test]
fn secrets_are_redacted_in_debug_and_in_print_settings() {
    let vars = [
        ("KAPSEL_ADMIN__TOKEN", "fictional-admin-secret"),
        (
            "KAPSEL_STORE__DATABASE_URL",
            "postgres://kapsel:fictional-pw@db/k",
        ),
        (
            "KAPSEL_CONNECTORS__SHOP__URL",
            "mysql://shop:fictional-pw@db/shop",
        ),
        (
            "KAPSEL_DESTINATIONS__SEGMENT__CREDENTIALS__WRITE_KEY",
            "fictional-key",
        ),
    ];
    let settings = resolve("", &vars, &["--listen", "127.0.0.1:9100"]).unwrap();
    let debug = format!("{settings:?}");
    let printed = settings.to_toml().unwrap();
    for shown in [&debug, &printed] {
        assert!(!shown.contains("fictional"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
    let table: Table = toml::from_str(&printed).unwrap();
    assert_eq!(table["admin"]["token"].as_str(), Some("<redacted>"));
    assert_eq!(
        table["connectors"]["shop"]["url"].as_str(),
        Some("<redacted>")
    );
    assert_eq!(table["listen"]["public"].as_str(), Some("127.0.0.1:9100"));
    assert_eq!(
        table["limits"]["rate_burst"].as_integer(),
        Some(i64::from(RateLimit::default().burst))
    );
}

#[test]
fn trusted_proxies_come_from_the_file_and_the_flags_and_trust_adds_the_local_networks() {
    let settings = resolve(
        "[proxy]\ntrusted = [\"10.0.0.0/8\", \"2001:db8::7\"]\nheader = \"forwarded\"\n",
        &[],
        &[],
    )
    .unwrap();
    let proxy = settings.proxy.proxy_trust();
    assert_eq!(proxy.header, kapsel_server::ForwardedHeader::Forwarded);
    assert!(proxy.trusts("10.9.9.9".parse().unwrap()));
    assert!(proxy.trusts("2001:db8::7".parse().unwrap()));
    assert!(!proxy.trusts("127.0.0.1".parse().unwrap()));
    assert!(!proxy.trusts("192.168.1.1".parse().unwrap()));

    let flagged = resolve(
        "[proxy]\ntrusted = [\"10.0.0.0/8\"]\n",
        &[],
        &[
            "--trusted-proxy",
            "192.0.2.1",
            "--trusted-proxy",
            "198.51.100.0/24",
        ],
    )
    .unwrap()
    .proxy
    .proxy_trust();
    assert!(
        !flagged.trusts("10.9.9.9".parse().unwrap()),
        "flags replace the file's list"
    );
    assert!(flagged.trusts("198.51.100.77".parse().unwrap()));
    assert_eq!(
        flagged.header,
        kapsel_server::ForwardedHeader::XForwardedFor
    );

    let local = resolve("", &[], &["--trust-proxy"])
        .unwrap()
        .proxy
        .proxy_trust();
    for trusted in [
        "127.0.0.1",
        "::1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.0.1",
        "fd00::1",
    ] {
        assert!(local.trusts(trusted.parse().unwrap()), "{trusted}");
    }
    assert!(!local.trusts("203.0.113.9".parse().unwrap()));

    let error = resolve("[proxy]\ntrusted = [\"10.0.0.0/40\"]\n", &[], &[]).unwrap_err();
    let error = error.to_string();
    assert!(error.contains("kapsel-serve.toml:2:"), "{error}");
    assert!(error.contains("10.0.0.0/40"), "{error}");
    let error = resolve("[proxy]\nheader = \"x-real-ip\"\n", &[], &[]).unwrap_err();
    assert!(error.to_string().contains("x-real-ip"), "{error}");
}
