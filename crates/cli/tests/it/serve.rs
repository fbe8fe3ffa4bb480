//! `kapsel serve` as a user meets it: the listening line and health, refusal of an invalid
//! privacy file with the `kapsel check` report, refusal of unknown flags.

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
