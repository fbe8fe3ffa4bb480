//! The crawl: links, sitemap.xml and robots.txt decide the pages; the page limit is reported; a
//! site without the Kapsel banner is observed before any choice only, the other phases reported
//! as not driven.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use kapsel_core::catalogue::Catalogue;
use kapsel_core::scan_report::{Phase, ViolationKind};
use kapsel_scan::scan;

use super::fixture::{html, serve};
use super::support::{chromium_available, options};

fn site() -> Router {
    let page = |body: &'static str| {
        move || async move { html(format!("<!DOCTYPE html><html><body>{body}</body></html>")) }
    };
    Router::new()
        .route("/", get(page("<a href=\"/a\">A</a> <a href=\"/privat/x\">X</a> <script>document.cookie = '_ga=GA1.1.1; max-age=60; path=/';</script>")))
        .route("/a", get(page("A")))
        .route("/b", get(page("B, only in the sitemap")))
        .route("/privat/x", get(page("disallowed")))
        .route("/robots.txt", get(|| async { ([(CONTENT_TYPE, "text/plain")], "User-agent: *\nDisallow: /privat\n").into_response() }))
        .route(
            "/sitemap.xml",
            get(|| async {
                let xml = "<?xml version=\"1.0\"?><urlset><url><loc>/b</loc></url></urlset>";
                ([(CONTENT_TYPE, "application/xml")], xml).into_response()
            }),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_sitemap_and_robots_decide_the_pages_and_limits_are_reported() {
    if !chromium_available("links_sitemap_and_robots_decide_the_pages_and_limits_are_reported") {
        return;
    }
    let site = serve(site()).await;
    let mut options = options(&site.url("/"), 10);
    options.sitemap = true;
    options.robots = true;
    options.concurrency = 1;
    let report = scan(&options, None, &Catalogue::builtin(), &|_| {})
        .await
        .unwrap();
    let urls: Vec<&str> = report.pages.iter().map(|p| p.url.as_str()).collect();
    assert_eq!(urls, vec![site.url("/"), site.url("/b"), site.url("/a")]);
    assert!(
        report.limits_reached.is_empty(),
        "{:?}",
        report.limits_reached
    );

    // No banner: only "before any choice" is observed, and the reason is given.
    let home = &report.pages[0];
    assert!(!home.kapsel_banner);
    assert!(home.phases[0].not_driven.is_none());
    for phase in &home.phases[1..] {
        let reason = &phase.not_driven.as_ref().unwrap().reason;
        assert!(reason.contains("no Kapsel banner"), "{reason}");
    }
    // Without a privacy file the catalogue still knows _ga needs consent.
    let violations: Vec<_> = report
        .violations
        .iter()
        .map(|v| (v.kind, v.subject.as_str(), v.phase))
        .collect();
    assert_eq!(
        violations,
        vec![(
            ViolationKind::NonNecessaryBeforeChoice,
            "_ga",
            Some(Phase::BeforeChoice)
        )]
    );

    options.max_pages = 2;
    let report = scan(&options, None, &Catalogue::builtin(), &|_| {})
        .await
        .unwrap();
    assert_eq!(report.pages.len(), 2);
    assert_eq!(
        report.limits_reached.len(),
        1,
        "{:?}",
        report.limits_reached
    );
    assert!(report.limits_reached[0].contains("page limit"));
}
