//! Unit tests for the scan classifier: each rule on hand-made findings, judged against a small
//! privacy file and the built-in catalogue.

use super::*;
use crate::privacy::{Cookie, Party, Provider};
use crate::scan_report::{
    CookieFinding, PhaseNotDriven, PhaseResult, RequestFinding, SetBy, StorageFinding,
};
use crate::text::Text;

const DAY: Millis = 86_400_000;

fn service(id: &str, category: &str, hosts: &[&str], cookies: Vec<Cookie>) -> Service {
    Service {
        id: id.to_owned(),
        name: id.to_owned(),
        category: category.to_owned(),
        provider: Provider {
            name: "Eksempel AS".to_owned(),
            country: "NO".to_owned(),
            address: None,
        },
        purpose: Text::default(),
        justification: None,
        privacy_policy: None,
        transfers: Vec::new(),
        consent_mode: Vec::new(),
        hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
        cookies,
        role: None,
        acknowledge: Default::default(),
    }
}

fn declared(name: &str, kind: StorageKind, duration: &str) -> Cookie {
    Cookie {
        name: name.to_owned(),
        prefix: false,
        kind,
        party: Party::First,
        domain: None,
        duration: duration.to_owned(),
        purpose: None,
        acknowledge: Default::default(),
    }
}

fn file() -> PrivacyFile {
    let source = r#"
languages = ["en"]
[organisation]
name = "Eksempel AS"
org_number = "999999999"
address = "Storgata 1, 0001 Oslo"
country = "NO"
email = "personvern@eksempel.no"
[[sites]]
id = "web"
name = "Eksempel"
domains = ["eksempel.no"]
"#;
    let mut file: PrivacyFile = toml::from_str(source).unwrap();
    let mut session = declared("session_id", StorageKind::Cookie, "session");
    session.prefix = false;
    let mut stats_prefix = declared("_stat_", StorageKind::Cookie, "30 days");
    stats_prefix.prefix = true;
    file.services = vec![
        service(
            "login",
            "necessary",
            &[],
            vec![
                session,
                declared("theme", StorageKind::LocalStorage, "persistent"),
            ],
        ),
        service(
            "stats",
            "analytics",
            &["stats.example.com"],
            vec![stats_prefix],
        ),
        service(
            "ads",
            "marketing",
            &["ads.example.net"],
            vec![declared("ad_id", StorageKind::Cookie, "90 days")],
        ),
    ];
    file
}

fn cookie(name: &str, lifetime_days: Option<i64>) -> Finding {
    Finding::Cookie(CookieFinding {
        name: name.to_owned(),
        domain: "eksempel.no".to_owned(),
        path: "/".to_owned(),
        expires: lifetime_days.map(|d| d * DAY),
        lifetime_ms: lifetime_days.map(|d| d * DAY),
        http_only: false,
        secure: false,
        same_site: None,
        party: Party::First,
        set_by: Some(SetBy::Script {
            url: "https://eksempel.no/app.js".to_owned(),
        }),
        classification: Classification::Unknown,
    })
}

fn local(key: &str) -> Finding {
    Finding::Storage(StorageFinding {
        storage: StorageArea::LocalStorage,
        origin: "https://eksempel.no".to_owned(),
        key: key.to_owned(),
        party: Party::First,
        set_by: None,
        classification: Classification::Unknown,
    })
}

fn request(host: &str) -> Finding {
    Finding::Request(RequestFinding {
        url: format!("https://{host}/t.js"),
        host: host.to_owned(),
        resource_type: "Script".to_owned(),
        set_cookies: Vec::new(),
        initiator: Some("https://eksempel.no/".to_owned()),
        classification: Classification::Unknown,
    })
}

fn page(url: &str, phases: Vec<(Phase, Vec<Finding>)>) -> PageResult {
    PageResult {
        url: url.to_owned(),
        kapsel_banner: true,
        error: None,
        phases: phases
            .into_iter()
            .map(|(phase, findings)| PhaseResult {
                phase,
                not_driven: None,
                findings,
            })
            .collect(),
    }
}

fn judge(pages: &mut [PageResult]) -> Judgement {
    let file = file();
    classify(
        pages,
        Some(Declaration {
            file: &file,
            site: "web",
        }),
        &Catalogue::builtin(),
    )
}

fn kinds(judgement: &Judgement) -> Vec<(ViolationKind, String)> {
    judgement
        .violations
        .iter()
        .map(|v| (v.kind, v.subject.clone()))
        .collect()
}

/// Every declared entry seen, accepted only after consent: the clean site.
fn clean_pages() -> Vec<PageResult> {
    vec![page(
        "https://eksempel.no/",
        vec![
            (
                Phase::BeforeChoice,
                vec![cookie("session_id", None), local("theme")],
            ),
            (
                Phase::AfterReject,
                vec![cookie("session_id", None), local("theme")],
            ),
            (
                Phase::AfterAccept,
                vec![
                    cookie("session_id", None),
                    local("theme"),
                    cookie("_stat_abc", Some(30)),
                    cookie("ad_id", Some(90)),
                    request("stats.example.com"),
                ],
            ),
        ],
    )]
}

#[test]
fn a_clean_site_has_no_violations_and_findings_are_classified() {
    let mut pages = clean_pages();
    let judgement = judge(&mut pages);
    assert_eq!(kinds(&judgement), vec![]);
    let accept = &pages[0].phases[2].findings;
    assert_eq!(
        accept[2].classification(),
        &Classification::Declared {
            service: "stats".to_owned(),
            category: "analytics".to_owned()
        }
    );
    assert_eq!(
        accept[4].classification(),
        &Classification::Declared {
            service: "stats".to_owned(),
            category: "analytics".to_owned()
        }
    );
}

#[test]
fn consent_rules_fire_per_phase() {
    let mut pages = clean_pages();
    pages[0].phases[0].findings.push(cookie("ad_id", Some(90)));
    pages[0].phases[0].findings.push(request("ads.example.net"));
    pages[0].phases[1]
        .findings
        .push(cookie("_stat_xyz", Some(30)));
    pages[0].phases[1]
        .findings
        .push(request("sub.ads.example.net"));
    let judgement = judge(&mut pages);
    assert_eq!(
        kinds(&judgement),
        vec![
            (ViolationKind::NonNecessaryBeforeChoice, "ad_id".to_owned()),
            (
                ViolationKind::TrackingRequestBeforeChoice,
                "ads.example.net".to_owned()
            ),
            (
                ViolationKind::NonNecessaryAfterReject,
                "_stat_xyz".to_owned()
            ),
            (
                ViolationKind::NonNecessaryAfterReject,
                "sub.ads.example.net".to_owned()
            ),
        ]
    );
    let first = &judgement.violations[0];
    assert_eq!(first.phase, Some(Phase::BeforeChoice));
    assert!(
        first.evidence.contains("https://eksempel.no/app.js"),
        "{}",
        first.evidence
    );
}

#[test]
fn catalogue_knowledge_counts_without_a_declaration() {
    let mut pages = vec![page(
        "https://eksempel.no/",
        vec![(
            Phase::BeforeChoice,
            vec![
                cookie("_ga", Some(400)),
                request("www.google-analytics.com"),
            ],
        )],
    )];
    let judgement = classify(&mut pages, None, &Catalogue::builtin());
    assert_eq!(
        kinds(&judgement),
        vec![
            (ViolationKind::NonNecessaryBeforeChoice, "_ga".to_owned()),
            (
                ViolationKind::TrackingRequestBeforeChoice,
                "www.google-analytics.com".to_owned()
            ),
        ]
    );
    assert!(matches!(
        pages[0].phases[0].findings[0].classification(),
        Classification::Known { .. }
    ));
    assert_eq!(judgement.skipped_checks.len(), 1);
}

#[test]
fn undeclared_is_reported_once_across_pages_and_phases() {
    let mut pages = clean_pages();
    pages[0].phases[0].findings.push(cookie("mystery", None));
    pages[0].phases[2].findings.push(cookie("mystery", None));
    pages.push(page(
        "https://eksempel.no/b",
        vec![(
            Phase::BeforeChoice,
            vec![cookie("mystery", None), local("draft")],
        )],
    ));
    let judgement = judge(&mut pages);
    assert_eq!(
        kinds(&judgement),
        vec![
            (ViolationKind::Undeclared, "mystery".to_owned()),
            (ViolationKind::Undeclared, "draft".to_owned())
        ]
    );
    assert_eq!(judgement.violations[0].pages_seen, 2);
    assert_eq!(
        judgement.violations[0].page.as_deref(),
        Some("https://eksempel.no/")
    );
}

#[test]
fn expiry_beyond_tolerance_is_a_violation() {
    let mut pages = clean_pages();
    // 90 days declared: 94 days is within 5 %, 95 is not; a session cookie kept for a day is not.
    pages[0].phases[2].findings[3] = cookie("ad_id", Some(94));
    assert_eq!(kinds(&judge(&mut pages)), vec![]);
    pages[0].phases[2].findings[3] = cookie("ad_id", Some(95));
    pages[0].phases[2].findings[0] = cookie("session_id", Some(1));
    let judgement = judge(&mut pages);
    assert_eq!(
        kinds(&judgement),
        vec![
            (
                ViolationKind::ExpiryLongerThanDeclared,
                "session_id".to_owned()
            ),
            (ViolationKind::ExpiryLongerThanDeclared, "ad_id".to_owned())
        ]
    );
    assert!(
        judgement.violations[1].detail.contains("90 days"),
        "{}",
        judgement.violations[1].detail
    );
}

#[test]
fn short_durations_get_at_least_an_hour() {
    let thirty_minutes = Duration::parse("30 minutes").unwrap();
    assert_eq!(
        expiry_excess(
            (thirty_minutes, "30 minutes".to_owned()),
            Some(80 * 60 * 1000)
        ),
        None
    );
    assert!(
        expiry_excess(
            (thirty_minutes, "30 minutes".to_owned()),
            Some(91 * 60 * 1000)
        )
        .is_some()
    );
    assert_eq!(
        expiry_excess((thirty_minutes, "30 minutes".to_owned()), None),
        None
    );
}

#[test]
fn stale_declarations_are_judged_only_when_accept_was_driven() {
    let mut pages = vec![page(
        "https://eksempel.no/",
        vec![(Phase::BeforeChoice, vec![])],
    )];
    let judgement = judge(&mut pages);
    assert_eq!(kinds(&judgement), vec![]);
    assert_eq!(
        judgement.skipped_checks,
        vec!["stale declarations: \"accept all\" was never driven".to_owned()]
    );

    // The login service was seen (its cookie), so its unseen localStorage key is only listed.
    let mut pages = clean_pages();
    pages[0]
        .phases
        .iter_mut()
        .for_each(|p| p.findings.retain(|f| f.subject() != "theme"));
    let judgement = judge(&mut pages);
    assert_eq!(kinds(&judgement), vec![]);
    assert_eq!(
        judgement.unseen_entries,
        vec!["localStorage key theme (service \"login\")".to_owned()]
    );

    let mut pages = clean_pages();
    pages[0].phases[2]
        .findings
        .retain(|f| f.subject() != "ad_id");
    pages[0].phases[2].not_driven = None;
    let judgement = judge(&mut pages);
    assert_eq!(
        kinds(&judgement),
        vec![(ViolationKind::StaleDeclaration, "ads".to_owned())]
    );
    assert_eq!(judgement.violations[0].page, None);
    assert!(
        judgement.violations[0].evidence.contains("ad_id"),
        "{}",
        judgement.violations[0].evidence
    );

    // A request to the service's host is a trace of it: not stale.
    let mut pages = clean_pages();
    pages[0].phases[2]
        .findings
        .retain(|f| f.subject() != "ad_id");
    pages[0].phases[2].findings.push(request("ads.example.net"));
    assert_eq!(kinds(&judge(&mut pages)), vec![]);
}

#[test]
fn phases_not_driven_skip_stale_checks_of_consent_services() {
    let mut pages = clean_pages();
    pages[0].phases[2] = PhaseResult {
        phase: Phase::AfterAccept,
        not_driven: Some(PhaseNotDriven {
            reason: "no banner".to_owned(),
        }),
        findings: Vec::new(),
    };
    let judgement = judge(&mut pages);
    assert_eq!(kinds(&judgement), vec![]);
}

#[test]
fn hosts_and_sites() {
    assert!(host_matches("www.stats.example.com", "stats.example.com"));
    assert!(host_matches("stats.example.com", "*.stats.example.com"));
    assert!(!host_matches("evilstats.example.com", "stats.example.com"));
    assert_eq!(site_of("www.eksempel.no"), "eksempel.no");
    assert_eq!(site_of("localhost"), "localhost");
    assert_eq!(site_of("127.0.0.1"), "127.0.0.1");
    assert_ne!(site_of("localhost"), site_of("127.0.0.1"));
}
