//! The scanner's own clicks never reach the visitor ledger: `kapsel serve` with `[scan] token`
//! (here `KAPSEL_SCAN__TOKEN`) and `kapsel scan --token` against its demo, in real Chromium. The
//! same scan without the token records its choices, which shows that the scan does drive the
//! banner and that the token is what keeps them out. The banner's view reports are marked the
//! same way, and counted only without the token.

use super::harness::{Backend, EXAMPLE, Server, kapsel};

const TOKEN: &str = "fictional-scan-token-7";

fn chromium_available() -> bool {
    let chromium =
        std::env::var("KAPSEL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let found = std::path::Path::new(&chromium).exists();
    if !found {
        assert!(
            std::env::var("KAPSEL_REQUIRE_ALL").as_deref() != Ok("1"),
            "Chromium is required (KAPSEL_REQUIRE_ALL=1) but {chromium} is missing"
        );
        eprintln!("\n!!!!!!!! SKIP scan_token: no Chromium at {chromium} !!!!!!!!\n");
    }
    found
}

/// Scans one demo page (with the token or without) and returns the scanner's exit code.
fn scan(server: &Server, token: Option<&str>) -> Option<i32> {
    let mut args = vec![
        "scan".to_owned(),
        server.url("/demo/"),
        "--config".to_owned(),
        EXAMPLE.to_owned(),
        "--pages".to_owned(),
        "1".to_owned(),
    ];
    if let Some(token) = token {
        args.extend(["--token".to_owned(), token.to_owned()]);
    }
    let output = kapsel(&args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("No violations."), "{stderr}");
    output.status.code()
}

/// Consent records in the ledger (the export's lines less its signed trailer).
fn records(backend: &Backend) -> usize {
    let mut args = vec!["ledger".to_owned(), "export".to_owned()];
    args.extend(backend.flags());
    let output = kapsel(&args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.contains("kapsel_export_trailer"))
        .count()
}

/// The demo site's banner views counted today: (shown, ignored).
async fn views(backend: &Backend) -> (i64, i64) {
    use kapsel_store::ConsentCounts as _;
    let store = backend.open().await;
    let today =
        kapsel_store::ledger::counts::day_of(kapsel_core::Clock::now_ms(&kapsel_core::SystemClock));
    let counts = store
        .view_counts(&kapsel_store::CountFilter {
            site: "demo".into(),
            from_day: today - 1,
            to_day: today,
            revision: None,
            language: None,
        })
        .await
        .unwrap();
    store.close().await;
    counts
        .iter()
        .fold((0, 0), |(s, i), c| (s + c.shown, i + c.ignored))
}

#[tokio::test]
async fn choices_the_scanner_drives_with_the_token_are_answered_but_not_recorded() {
    if !chromium_available() {
        return;
    }
    let backend = Backend::sqlite();
    let mut flags = backend.flags();
    flags.push("--demo".to_owned());
    let ops = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let mut with_ops = flags.clone();
    with_ops.extend(["--ops-listen".to_owned(), ops.to_string()]);

    let server = Server::start_with_env(EXAMPLE, &with_ops, &[("KAPSEL_SCAN__TOKEN", TOKEN)]);
    server.wait_healthy().await;
    assert_eq!(scan(&server, Some(TOKEN)), Some(0));
    // The banner did post both choices, and the server answered them as the scanner's.
    let metrics = reqwest::get(format!("http://{ops}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("kapsel_scan_choices_total{site=\"demo\"} 2"),
        "{metrics}"
    );
    assert!(server.terminate().success());
    assert_eq!(
        records(&backend),
        0,
        "the scan's choices reached the ledger"
    );
    assert_eq!(
        views(&backend).await,
        (0, 0),
        "the scan's banner views were counted"
    );

    // The same scan without the token: its "reject all" and "accept all" are recorded.
    let server = Server::start_with_env(EXAMPLE, &flags, &[("KAPSEL_SCAN__TOKEN", TOKEN)]);
    server.wait_healthy().await;
    assert_eq!(scan(&server, None), Some(0));
    assert!(server.terminate().success());
    assert!(
        records(&backend) >= 2,
        "an unmarked scan records its choices"
    );
    let (shown, _) = views(&backend).await;
    assert!(shown >= 1, "an unmarked scan's banner views are counted");
}

/// `kapsel scan --upload` hands its report to the server, which keeps it for the console.
#[tokio::test]
async fn an_uploaded_scan_is_kept_by_the_server() {
    if !chromium_available() {
        return;
    }
    let backend = Backend::sqlite();
    let mut flags = backend.flags();
    flags.push("--demo".to_owned());
    let admin = "fictional-admin-token-for-the-upload-test";
    let server = Server::start_with_env(
        EXAMPLE,
        &flags,
        &[
            ("KAPSEL_SCAN__TOKEN", TOKEN),
            ("KAPSEL_ADMIN__TOKEN", admin),
        ],
    );
    server.wait_healthy().await;
    let output = kapsel(&[
        "scan".to_owned(),
        server.url("/demo/"),
        "--config".to_owned(),
        EXAMPLE.to_owned(),
        "--pages".to_owned(),
        "1".to_owned(),
        "--token".to_owned(),
        TOKEN.to_owned(),
        "--upload".to_owned(),
        server.url("/"),
        "--admin-token".to_owned(),
        admin.to_owned(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("uploaded the report to"), "{stderr}");
    let client = reqwest::Client::new();
    let kept: serde_json::Value = client
        .get(server.url("/v1/admin/scans"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let scans = kept["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 1, "{kept}");
    assert_eq!(scans[0]["site"], "demo");
    assert_eq!(scans[0]["pages"], 1);
    assert_eq!(scans[0]["violations"], 0);
    // Without the token the upload is refused, and a report for an undeclared site too.
    let refused = client
        .post(server.url("/v1/admin/scans"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let foreign = client
        .post(server.url("/v1/admin/scans"))
        .bearer_auth(admin)
        .body("{\"schema_version\":1}")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 422);
    assert!(server.terminate().success());
}
