//! Scheduled scans: `kapsel serve` with `[scan] every_hours` and `[scan.sites]` crawls the
//! listed site by itself in real Chromium, as soon as it has no report, and keeps the report in
//! the store for the console; it does not scan again before the period has passed. The site
//! here is a page of our own on loopback that sets an undeclared cookie before any choice, so
//! the kept report must carry that violation. A `[scan.sites]` entry naming no site of the
//! privacy file stops the server before it starts, naming the key.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use kapsel_store::ScanReports;

use super::harness::{Backend, EXAMPLE, Server, kapsel};

/// The undeclared cookie the page sets.
const COOKIE: &str = "fictional_tracker_uid";

/// Serves one page (any path) on loopback until the test ends; the page sets [`COOKIE`].
fn serve_page() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let body = "<!doctype html><html lang=\"en\"><head><title>Fictional shop</title></head>\
                        <body><h1>Fictional shop</h1></body></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Set-Cookie: {COOKIE}=abc123; Max-Age=31536000; Path=/\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/")
}

fn chromium_available() -> bool {
    let found = std::path::Path::new("/usr/bin/chromium").exists();
    if !found {
        assert!(
            std::env::var("KAPSEL_REQUIRE_ALL").as_deref() != Ok("1"),
            "Chromium is required (KAPSEL_REQUIRE_ALL=1) but /usr/bin/chromium is missing"
        );
        eprintln!("\n!!!!!!!! SKIP scan_schedule: no Chromium at /usr/bin/chromium !!!!!!!!\n");
    }
    found
}

#[tokio::test]
async fn the_server_scans_a_listed_site_by_itself_and_keeps_the_report() {
    if !chromium_available() {
        return;
    }
    let page = serve_page();
    let backend = Backend::sqlite();
    let settings_dir = tempfile::tempdir().unwrap();
    let settings = settings_dir.path().join("kapsel-settings.toml");
    std::fs::write(
        &settings,
        format!(
            "[scan]\nevery_hours = 24\npages = 1\nchromium = \"/usr/bin/chromium\"\n\n\
             [scan.sites]\nwww = [\"{page}\"]\n"
        ),
    )
    .unwrap();
    let mut flags = backend.flags();
    flags.extend(["--settings".to_owned(), settings.display().to_string()]);
    let server = Server::start(EXAMPLE, &flags);
    server.wait_healthy().await;
    let store = backend.open().await;
    let mut kept = Vec::new();
    for _ in 0..1200 {
        kept = store.latest_scans().await.unwrap();
        if !kept.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        kept.len(),
        1,
        "no report within 120 s; stderr:\n{}",
        server.stderr()
    );
    let scan = &kept[0];
    assert_eq!(scan.site, "www");
    assert_eq!(scan.pages, 1);
    assert!(scan.violations >= 1, "{}", scan.report);
    let report: serde_json::Value = serde_json::from_str(&scan.report).unwrap();
    let undeclared = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["kind"] == "undeclared" && v.to_string().contains(COOKIE));
    assert!(
        undeclared,
        "the page's cookie is not reported: {}",
        scan.report
    );
    assert!(
        server.stderr().contains("scheduled scan kept"),
        "{}",
        server.stderr()
    );
    // Not due again for 24 hours: a restart does not scan again either.
    let status = server.terminate();
    assert!(status.success());
    let server = Server::start(EXAMPLE, &flags);
    server.wait_healthy().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = store.latest_scans().await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, scan.id, "no second scan within the period");
    drop(server);
    store.close().await;
}

#[test]
fn a_scheduled_scan_of_a_site_the_file_does_not_declare_stops_the_server() {
    let backend = Backend::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let settings = dir.path().join("kapsel-settings.toml");
    std::fs::write(
        &settings,
        "[scan]\nevery_hours = 24\n\n[scan.sites]\nnosuch = [\"https://shop.example.com/\"]\n",
    )
    .unwrap();
    let mut args = vec!["serve".to_owned(), "--config".into(), EXAMPLE.into()];
    args.extend(["--listen".into(), "127.0.0.1:0".into()]);
    args.extend(backend.flags());
    args.extend(["--settings".into(), settings.display().to_string()]);
    let output = kapsel(&args);
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("[scan.sites] nosuch: no such site in the privacy file"),
        "{stderr}"
    );
}
