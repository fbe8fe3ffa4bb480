//! `kapsel scan` against the real `kapsel serve` and its demo site, with real Chromium: the demo
//! is clean in every phase against the unmodified example privacy file (its site `demo` declares
//! what the demo runs); without a privacy file, `--suggest` proposes entries for what it saw.

// Helpers outside #[test] functions may fail loudly too.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use kapsel_core::scan_report::{Classification, Finding, Phase, Report};

use super::harness::{EXAMPLE, Server, kapsel};

fn chromium_available(test: &str) -> bool {
    let chromium =
        std::env::var("KAPSEL_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    if Path::new(&chromium).exists() {
        return true;
    }
    if std::env::var("KAPSEL_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!("{test}: Chromium is required (KAPSEL_REQUIRE_ALL=1) but {chromium} is missing");
    }
    eprintln!("\n!!!!!!!! SKIP {test}: no Chromium at {chromium} !!!!!!!!\n");
    false
}

#[tokio::test]
async fn the_demo_site_has_no_violations_in_any_phase() {
    if !chromium_available("the_demo_site_has_no_violations_in_any_phase") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = EXAMPLE.to_owned();
    let server = Server::start(
        &config,
        &[
            "--demo".into(),
            "--data".into(),
            dir.path().join("data").display().to_string(),
        ],
    );
    server.wait_healthy().await;
    let json = dir.path().join("report.json");
    let html = dir.path().join("report.html");
    let output = kapsel(&[
        "scan".into(),
        server.url("/demo/"),
        "--config".into(),
        config,
        "--pages".into(),
        "2".into(),
        "--out".into(),
        json.display().to_string(),
        "--html".into(),
        html.display().to_string(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report.violations, vec![], "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("No violations."), "{stderr}");
    assert!(stderr.contains("[1/"), "progress is shown: {stderr}");
    assert_eq!(report.site.as_deref(), Some("demo"));
    assert_eq!(report.pages.len(), 2);
    // The crawl also follows the banner's link to the generated cookie declaration, a page of
    // Kapsel's own without the banner; it too must be clean, but only demo pages have phases.
    let is_demo_page = |url: &str| {
        url.split_once("://")
            .and_then(|(_, rest)| rest.split_once('/'))
            .is_some_and(|(_, path)| path.starts_with("demo/"))
    };
    assert!(report.pages.iter().any(|p| is_demo_page(&p.url)));
    for page in report.pages.iter().filter(|p| is_demo_page(&p.url)) {
        assert!(page.kapsel_banner, "{} has the banner", page.url);
        let phases: Vec<Phase> = page.phases.iter().map(|p| p.phase).collect();
        assert_eq!(phases, Phase::ALL);
        assert!(
            page.phases.iter().all(|p| p.not_driven.is_none()),
            "{:?}",
            page.phases
        );
        let before = &page.phases[0].findings;
        assert!(
            before.iter().all(|f| !f.classification().needs_consent()),
            "{before:?}"
        );
        // The banner really was driven: a choice leaves the consent cookie, acceptance runs GA.
        let names = |phase: usize| -> Vec<&str> {
            page.phases[phase]
                .findings
                .iter()
                .filter(|f| matches!(f, Finding::Cookie(_)))
                .map(Finding::subject)
                .collect()
        };
        assert_eq!(names(1), vec!["kapsel_consent"], "after reject");
        assert!(
            names(2).contains(&"kapsel_consent") && names(2).contains(&"_ga"),
            "after accept: {:?}",
            names(2)
        );
        let ga = page.phases[2]
            .findings
            .iter()
            .find(|f| f.subject() == "_ga")
            .unwrap();
        assert_eq!(
            ga.classification(),
            &Classification::Declared {
                service: "google-analytics".into(),
                category: "analytics".into()
            }
        );
    }
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.contains("No violations found."));
}

#[tokio::test]
async fn without_a_privacy_file_suggest_proposes_entries_for_what_was_seen() {
    if !chromium_available("without_a_privacy_file_suggest_proposes_entries_for_what_was_seen") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        EXAMPLE,
        &[
            "--demo".into(),
            "--data".into(),
            dir.path().join("data").display().to_string(),
        ],
    );
    server.wait_healthy().await;
    let output = kapsel(&[
        "scan".into(),
        server.url("/demo/"),
        "--pages".into(),
        "1".into(),
        "--suggest".into(),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("no privacy file given"), "{stderr}");
    assert!(
        stdout.contains(
            "[[services.cookies]]\nname = \"_ga\"\nparty = \"first\"\nduration = \"13 months\"\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("the catalogue knows it: Google, category `analytics`"),
        "{stdout}"
    );
}

#[test]
fn bad_arguments_are_refused_with_the_reason() {
    let output = kapsel(&["scan".into(), "not a url".into()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("URL \"not a url\""));
    let output = kapsel(&[
        "scan".into(),
        "http://127.0.0.1:9/".into(),
        "--config".into(),
        EXAMPLE.into(),
        "--site".into(),
        "nope".into(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--site nope: no such site") && stderr.contains("www, pamelding"),
        "{stderr}"
    );
}

#[tokio::test]
async fn fail_on_chooses_what_makes_the_exit_code_one() {
    if !chromium_available("fail_on_chooses_what_makes_the_exit_code_one") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        EXAMPLE,
        &[
            "--demo".into(),
            "--data".into(),
            dir.path().join("data").display().to_string(),
        ],
    );
    server.wait_healthy().await;
    let json = dir.path().join("report.json");
    // A privacy file whose site `demo` also declares services the demo does not embed (HubSpot,
    // LinkedIn): stale declarations, while the demo's own cookies are all declared.
    let demo_services = r#"services = ["kapsel-consent", "google-analytics", "google-ads", "meta-pixel", "intercom", "youtube"]"#;
    let source = kapsel_testkit::example_source();
    assert!(
        source.contains(demo_services),
        "examples/kapsel.toml no longer declares site demo as expected"
    );
    let stale = dir.path().join("stale.toml");
    std::fs::write(
        &stale,
        source.replacen(
            demo_services,
            r#"services = ["kapsel-consent", "google-analytics", "google-ads", "meta-pixel", "intercom", "youtube", "hubspot", "linkedin-insight"]"#,
            1,
        ),
    )
    .unwrap();
    let stale = stale.display().to_string();
    let args = |fail_on: &str| -> Vec<String> {
        [
            "scan",
            &server.url("/demo/"),
            "--config",
            &stale,
            "--pages",
            "1",
            "--fail-on",
            fail_on,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .chain(["--out".to_owned(), json.display().to_string()])
        .collect()
    };
    let output = kapsel(&args("violations"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let report: Report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(!report.violations.is_empty());
    assert!(
        report
            .violations
            .iter()
            .all(|v| v.kind.as_str() == "stale_declaration"),
        "{stderr}"
    );
    assert!(
        report.violations.iter().any(|v| v.subject == "hubspot"),
        "{stderr}"
    );
    assert!(stderr.contains("stale_declaration"), "{stderr}");

    let output = kapsel(&args("undeclared"));
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = kapsel(&args("none"));
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_scan_where_no_page_could_be_loaded_says_so_and_exits_two() {
    if !chromium_available("a_scan_where_no_page_could_be_loaded_says_so_and_exits_two") {
        return;
    }
    // Port 9 (discard) on loopback: nothing listens, so the page cannot be loaded.
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let output = kapsel(&[
        "scan".into(),
        "http://127.0.0.1:9/".into(),
        "--config".into(),
        EXAMPLE.into(),
        "--site".into(),
        "www".into(),
        "--pages".into(),
        "1".into(),
        "--html".into(),
        html.display().to_string(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(html.contains("No page could be scanned") && !html.contains("No violations"));
    assert!(
        stderr.contains("could not scan http://127.0.0.1:9/"),
        "{stderr}"
    );
    assert!(
        stderr.contains("No page could be scanned, so nothing was checked."),
        "{stderr}"
    );
    assert!(!stderr.contains("No violations"), "{stderr}");
}
