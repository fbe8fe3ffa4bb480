//! The faulty fixture site: every planted fault is found, with the right evidence, and nothing
//! else is reported.

use kapsel_core::catalogue::Catalogue;
use kapsel_core::privacy::Party;
use kapsel_core::scan_classify::Declaration;
use kapsel_core::scan_report::{Finding, Phase, SetBy, StorageArea, ViolationKind};
use kapsel_scan::scan;

use super::fixture::faulty_site;
use super::support::{chromium_available, options};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_planted_fault_is_found_and_nothing_else() {
    if !chromium_available("every_planted_fault_is_found_and_nothing_else") {
        return;
    }
    let file = kapsel_core::privacy::load(include_str!("faulty.toml"), "faulty.toml").unwrap();
    let site = serve_faulty().await;
    let report = scan(
        &options(&site.url("/"), 10),
        Some(Declaration {
            file: &file,
            site: "faulty",
        }),
        &Catalogue::builtin(),
        &|_| {},
    )
    .await
    .unwrap();
    let home = site.url("/");
    let about = site.url("/om");
    assert_eq!(
        report
            .pages
            .iter()
            .map(|p| p.url.as_str())
            .collect::<Vec<_>>(),
        vec![home.as_str(), about.as_str()]
    );
    assert!(
        report
            .pages
            .iter()
            .all(|p| p.kapsel_banner && p.phases.iter().all(|ph| ph.not_driven.is_none())),
        "{report:#?}"
    );

    let mut found: Vec<(ViolationKind, &str, Option<Phase>, Option<&str>)> = report
        .violations
        .iter()
        .map(|v| (v.kind, v.subject.as_str(), v.phase, v.page.as_deref()))
        .collect();
    found.sort();
    let mut expected = vec![
        (
            ViolationKind::NonNecessaryBeforeChoice,
            "_fbp",
            Some(Phase::BeforeChoice),
            Some(home.as_str()),
        ),
        (
            ViolationKind::NonNecessaryAfterReject,
            "_fbp",
            Some(Phase::AfterReject),
            Some(home.as_str()),
        ),
        (
            ViolationKind::NonNecessaryBeforeChoice,
            "kx_visitor",
            Some(Phase::BeforeChoice),
            Some(home.as_str()),
        ),
        (
            ViolationKind::NonNecessaryAfterReject,
            "kx_visitor",
            Some(Phase::AfterReject),
            Some(home.as_str()),
        ),
        (
            ViolationKind::Undeclared,
            "kx_prefs",
            Some(Phase::BeforeChoice),
            Some(home.as_str()),
        ),
        (
            ViolationKind::ExpiryLongerThanDeclared,
            "_stat_id",
            Some(Phase::AfterAccept),
            Some(home.as_str()),
        ),
        (
            ViolationKind::NonNecessaryAfterReject,
            "kx_chat",
            Some(Phase::AfterReject),
            Some(about.as_str()),
        ),
        (
            ViolationKind::NonNecessaryBeforeChoice,
            "tp_embed",
            Some(Phase::BeforeChoice),
            Some(about.as_str()),
        ),
        (
            ViolationKind::NonNecessaryAfterReject,
            "tp_embed",
            Some(Phase::AfterReject),
            Some(about.as_str()),
        ),
        (
            ViolationKind::NonNecessaryBeforeChoice,
            "tp_seen",
            Some(Phase::BeforeChoice),
            Some(about.as_str()),
        ),
        (
            ViolationKind::NonNecessaryAfterReject,
            "tp_seen",
            Some(Phase::AfterReject),
            Some(about.as_str()),
        ),
        (
            ViolationKind::TrackingRequestBeforeChoice,
            "127.0.0.1",
            Some(Phase::BeforeChoice),
            Some(about.as_str()),
        ),
        (
            ViolationKind::NonNecessaryAfterReject,
            "127.0.0.1",
            Some(Phase::AfterReject),
            Some(about.as_str()),
        ),
        (ViolationKind::StaleDeclaration, "video", None, None),
    ];
    expected.sort();
    assert_eq!(found, expected, "violations:\n{:#?}", report.violations);

    // Evidence: who set what, as the browser told.
    let evidence = |kind: ViolationKind, subject: &str| {
        report
            .violations
            .iter()
            .find(|v| v.kind == kind && v.subject == subject)
            .unwrap()
            .evidence
            .clone()
    };
    assert_eq!(
        evidence(ViolationKind::NonNecessaryBeforeChoice, "_fbp"),
        format!("set by script {home}")
    );
    assert_eq!(
        evidence(ViolationKind::NonNecessaryBeforeChoice, "kx_visitor"),
        format!("set by script {home}")
    );
    assert_eq!(
        evidence(ViolationKind::NonNecessaryAfterReject, "kx_chat"),
        format!("set by script {}", site.url("/chat.js"))
    );
    assert_eq!(
        evidence(ViolationKind::ExpiryLongerThanDeclared, "_stat_id"),
        format!("set by script {}", site.url("/stats.js"))
    );
    let embed_url = format!("http://127.0.0.1:{}/embed", site.addr.port());
    assert_eq!(
        evidence(ViolationKind::NonNecessaryBeforeChoice, "tp_embed"),
        format!("set by Set-Cookie from {embed_url} (requested by {about})")
    );
    assert_eq!(
        evidence(ViolationKind::TrackingRequestBeforeChoice, "127.0.0.1"),
        format!("Document {embed_url} requested by {about}")
    );
    assert_eq!(
        evidence(ViolationKind::NonNecessaryBeforeChoice, "tp_seen"),
        format!("set by script {embed_url}")
    );
    let expiry = report
        .violations_of(ViolationKind::ExpiryLongerThanDeclared)
        .next()
        .unwrap();
    assert!(
        expiry.detail.contains("declared \"30 days\""),
        "{}",
        expiry.detail
    );

    // The third-party cookie is recorded as such, with the response that set it.
    let (_, _, tp) = report
        .findings()
        .find(|(page, phase, f)| {
            *page == about && *phase == Phase::BeforeChoice && f.subject() == "tp_embed"
        })
        .unwrap();
    let Finding::Cookie(tp) = tp else {
        panic!("not a cookie: {tp:?}")
    };
    assert_eq!(tp.party, Party::Third);
    assert_eq!(tp.domain, "127.0.0.1");
    assert!(matches!(&tp.set_by, Some(SetBy::Response { url, .. }) if *url == embed_url));

    // Declared necessary storage of every kind is recorded, with the script that wrote it, and
    // the server's HttpOnly session cookie with the response that set it.
    let before_home: Vec<&Finding> = report
        .findings()
        .filter(|(page, phase, _)| *page == home && *phase == Phase::BeforeChoice)
        .map(|(_, _, f)| f)
        .collect();
    for (area, key) in [
        (StorageArea::SessionStorage, "kx_tab"),
        (StorageArea::IndexedDb, "kx_cache"),
    ] {
        let found = before_home.iter().find_map(|f| match f {
            Finding::Storage(s) if s.storage == area && s.key == key => Some(s),
            _ => None,
        });
        let found = found.unwrap_or_else(|| panic!("{key} not found in {before_home:#?}"));
        assert_eq!(found.set_by, Some(SetBy::Script { url: home.clone() }));
        assert!(found.classification.is_declared());
    }
    let sid = before_home.iter().find(|f| f.subject() == "sid").unwrap();
    let Finding::Cookie(sid) = sid else {
        panic!("not a cookie")
    };
    assert!(sid.http_only && sid.expires.is_none());
    assert!(
        matches!(&sid.set_by, Some(SetBy::Response { url, .. }) if *url == home),
        "{:?}",
        sid.set_by
    );

    // The HTML report escapes and shows every violation.
    let html = kapsel_scan::html::render(&report);
    assert!(html.contains("stale_declaration") && html.contains("kx_video"));
}

async fn serve_faulty() -> super::fixture::FixtureSite {
    // The iframe must name the server's own port, so the port is chosen before the router.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    super::fixture::serve_with(listener, faulty_site(port))
}
