//! `kapsel serve` as a user meets it: the listening line and health, refusal of an invalid
//! privacy file with the `kapsel check` report, refusal of unknown flags; settings in layers
//! (`--print-settings`), unknown variables and keys refused by name, secrets kept out of output
//! and logs, listeners bound before the data directory is made, and `--demo`.

use super::harness::{EXAMPLE, KAPSEL, Server};

#[tokio::test]
async fn prints_its_address_and_answers_health_then_stops_on_sigterm() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(
        EXAMPLE,
        &["--data".into(), data.path().display().to_string()],
    );
    assert!(
        server.base.starts_with("http://127.0.0.1:"),
        "{}",
        server.base
    );
    assert!(!server.base.ends_with(":0"), "the real port is printed");
    server.wait_healthy().await;
    let body = reqwest::get(server.url("/healthz"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "ok\n");
    assert!(server.terminate().success());
    assert!(data.path().join("kapsel.db").exists());
}

#[test]
fn an_invalid_privacy_file_is_refused_with_the_check_report() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    let source = std::fs::read_to_string(EXAMPLE).unwrap();
    std::fs::write(
        &broken,
        format!("{source}\n[organisation_typo]\nname = \"x\"\n"),
    )
    .unwrap();
    let output = std::process::Command::new(KAPSEL)
        .args([
            "serve",
            "--config",
            broken.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--data", dir.path().join("data").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "nothing listens: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.toml:"), "{stderr}");
    assert!(stderr.contains("organisation_typo"), "{stderr}");
}

#[test]
fn unknown_flags_are_refused() {
    let output = std::process::Command::new(KAPSEL)
        .args(["serve", "--config", EXAMPLE, "--lisen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--lisen"));
}

/// `kapsel serve ARGS…` run to completion with these variables set.
fn serve_once(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    std::process::Command::new(KAPSEL)
        .arg("serve")
        .args(args)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn print_settings_merges_every_layer_and_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kapsel-serve.toml");
    std::fs::write(
        &file,
        "[limits]\nbody_bytes = 4096\nrate_per_second = 10\nrate_burst = 10\n",
    )
    .unwrap();
    let output = std::process::Command::new(KAPSEL)
        .current_dir(dir.path())
        .args(["serve", "--print-settings", "--rate-burst", "30"])
        .args([
            "--settings",
            file.to_str().unwrap(),
            "--listen",
            "127.0.0.1:9",
        ])
        .envs([
            ("KAPSEL_LIMITS__RATE_PER_SECOND", "7"),
            ("KAPSEL_LIMITS__RATE_BURST", "20"),
            ("KAPSEL_ADMIN__TOKEN", "fictional-admin-secret"),
            (
                "KAPSEL_CONNECTORS__SHOP__URL",
                "mysql://shop:fictional-pw@db/shop",
            ),
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!stdout.contains("fictional"), "{stdout}");
    let printed: toml::Table = toml::from_str(&stdout).unwrap();
    assert_eq!(
        printed["listen"]["public"].as_str(),
        Some("127.0.0.1:9"),
        "flag"
    );
    assert_eq!(
        printed["limits"]["rate_burst"].as_integer(),
        Some(30),
        "flag over env"
    );
    assert_eq!(
        printed["limits"]["rate_per_second"].as_float(),
        Some(7.0),
        "env over file"
    );
    assert_eq!(
        printed["limits"]["body_bytes"].as_integer(),
        Some(4096),
        "file over default"
    );
    assert_eq!(
        printed["limits"]["exempt_loopback"].as_bool(),
        Some(true),
        "default"
    );
    assert_eq!(printed["store"]["data"].as_str(), Some("./data"), "default");
    assert_eq!(printed["admin"]["token"].as_str(), Some("<redacted>"));
    assert_eq!(
        printed["connectors"]["shop"]["url"].as_str(),
        Some("<redacted>")
    );
    assert!(!dir.path().join("data").exists(), "printing opens no store");
}

#[test]
fn an_unknown_variable_or_settings_key_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let output = serve_once(
        &[
            "--config",
            EXAMPLE,
            "--data",
            data,
            "--listen",
            "127.0.0.1:0",
        ],
        &[("KAPSEL_LISTEN__PUBLC", "127.0.0.1:0")],
    );
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("KAPSEL_LISTEN__PUBLC"), "{stderr}");
    assert!(stderr.contains("unknown field `publc`"), "{stderr}");

    let file = dir.path().join("kapsel-serve.toml");
    std::fs::write(&file, "[listen]\npublc = \"127.0.0.1:0\"\n").unwrap();
    let output = serve_once(
        &[
            "--config",
            EXAMPLE,
            "--data",
            data,
            "--settings",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:2:1: unknown field `publc`", file.display())),
        "{stderr}"
    );
    assert!(!dir.path().join("data").exists());
}

#[test]
fn a_port_in_use_leaves_no_data_directory_behind() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_flag = data.to_str().unwrap();
    for listen in [
        ["--listen", taken.as_str()],
        ["--ops-listen", taken.as_str()],
    ] {
        let mut args = vec!["--config", EXAMPLE, "--data", data_flag];
        if listen[0] == "--ops-listen" {
            args.extend(["--listen", "127.0.0.1:0"]);
        }
        args.extend(listen);
        let output = serve_once(&args, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("cannot listen on {taken}")),
            "{stderr}"
        );
        assert!(output.stdout.is_empty());
        assert!(
            !data.join("kapsel.db").exists(),
            "{listen:?} left a kapsel.db"
        );
        assert!(!data.exists(), "{listen:?} left a data directory");
    }
}

#[tokio::test]
async fn the_admin_token_works_and_never_shows_in_the_logs() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start_with_env(
        EXAMPLE,
        &["--data".into(), data.path().display().to_string()],
        &[
            ("KAPSEL_LOG", "debug"),
            ("KAPSEL_ADMIN__TOKEN", "fictional-admin-secret"),
            (
                "KAPSEL_DESTINATIONS__SEGMENT__CREDENTIALS__WRITE_KEY",
                "fictional-write-key",
            ),
        ],
    );
    server.wait_healthy().await;
    let client = reqwest::Client::new();
    let metrics = client
        .get(server.url("/metrics"))
        .bearer_auth("fictional-admin-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let stderr = server.stderr();
    assert!(server.terminate().success());
    assert!(
        stderr.contains("<redacted>"),
        "the settings are logged: {stderr}"
    );
    assert!(!stderr.contains("fictional"), "{stderr}");
}

#[tokio::test]
async fn the_demo_is_mounted_only_with_demo() {
    for (flags, status) in [(&[][..], 404), (&["--demo"][..], 200)] {
        let data = tempfile::tempdir().unwrap();
        let mut extra = vec!["--data".to_owned(), data.path().display().to_string()];
        extra.extend(flags.iter().map(|f| (*f).to_owned()));
        let server = Server::start(EXAMPLE, &extra);
        server.wait_healthy().await;
        let response = reqwest::get(server.url("/demo/")).await.unwrap();
        assert_eq!(response.status(), status, "{flags:?}");
        assert!(server.terminate().success());
    }
}

#[tokio::test]
async fn the_old_admin_listen_flag_binds_the_ops_listener() {
    let data = tempfile::tempdir().unwrap();
    let server = Server::start(
        EXAMPLE,
        &[
            "--data".into(),
            data.path().display().to_string(),
            "--admin-listen".into(),
            "127.0.0.1:0".into(),
            "--log-format".into(),
            "json".into(),
        ],
    );
    server.wait_healthy().await;
    let stderr = server.stderr();
    let ops = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["fields"]["message"] == "ops listener bound")
        .and_then(|line| line["fields"]["addr"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no ops listener in the log: {stderr}"));
    let client = reqwest::Client::new();
    for path in ["/healthz", "/metrics"] {
        let response = client
            .get(format!("http://{ops}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path} on the ops listener");
    }
    assert!(server.terminate().success());
}
