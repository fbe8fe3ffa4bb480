//! The console over real HTTP on the test clock: the overview's numbers equal a recount of the
//! console's own ledger export (a few thousand choices over days and sites), sessions end when
//! idle and when old whatever the activity, sign-in answers the same for unknown names and
//! throttles both, a role cannot do what it may not, and a form needs its session's token.

use std::collections::BTreeMap;

use kapsel_core::console::{Role, password};
use kapsel_core::{Clock, OsRandom};
use kapsel_store::{Account, Accounts, AuditLog};
use kapsel_testkit::{PAGE_VIEWS_DECLARATION, TestServer, shop_privacy_source};
use serde_json::{Value, json};

const PASSWORD: &str = "korrekt hest batteri stift";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const MINUTE_MS: i64 = 60 * 1000;

pub(super) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(super) async fn add(server: &TestServer, name: &str, role: Role) {
    let now = server.clock.now_ms();
    let added = server
        .store
        .add_account(&Account {
            name: name.into(),
            role,
            password_hash: password::hash(PASSWORD, &OsRandom).unwrap(),
            totp_secret: None,
            totp_last_step: None,
            disabled: false,
            created_ms: now,
            changed_ms: now,
        })
        .await
        .unwrap();
    assert!(added);
}

/// Signs in; the session cookie (`kapsel_console=…`).
pub(super) async fn sign_in(server: &TestServer, name: &str) -> String {
    let response = client()
        .post(server.url("/console/sign-in?lang=en"))
        .form(&[("name", name), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{name} signs in");
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly; Secure; SameSite=Strict"),
        "{cookie}"
    );
    cookie.split(';').next().unwrap().to_owned()
}

pub(super) async fn get(server: &TestServer, cookie: &str, path: &str) -> reqwest::Response {
    client()
        .get(server.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// The page's form token.
pub(super) async fn csrf(server: &TestServer, cookie: &str) -> String {
    let page = get(server, cookie, "/console/retention?lang=en")
        .await
        .text()
        .await
        .unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    page[at..at + 43].to_owned()
}

fn choice(server: &TestServer, site: &str, i: usize) -> Value {
    let (action, analytics, marketing) = match i % 3 {
        0 => ("accept_all", true, true),
        1 => ("reject_all", false, false),
        _ => ("custom", i.is_multiple_of(2), false),
    };
    let mut services = serde_json::Map::new();
    if site == "www" {
        services.insert("google-analytics".into(), json!(analytics));
    }
    json!({
        "site": site,
        "revision": server.revision(site),
        "language": if i.is_multiple_of(4) { "en" } else { "nb" },
        "action": action,
        "categories": {
            "necessary": true,
            "functional": action == "accept_all",
            "analytics": analytics,
            "marketing": marketing,
        },
        "services": services,
        "gpc": false,
    })
}

/// Per day: (total, accept_all, custom, reject_all), recounted from JSON lines.
fn recount(jsonl: &str) -> BTreeMap<String, (i64, i64, i64, i64)> {
    let mut days = BTreeMap::new();
    for line in jsonl.lines().filter(|l| !l.is_empty()) {
        let record: Value = serde_json::from_str(line).unwrap();
        let at = record["recorded_at_ms"].as_i64().unwrap();
        let day = kapsel_core::calendar::rfc3339(at)[..10].to_owned();
        let entry: &mut (i64, i64, i64, i64) = days.entry(day).or_default();
        entry.0 += 1;
        match record["choice"]["action"].as_str().unwrap() {
            "accept_all" => entry.1 += 1,
            "custom" => entry.2 += 1,
            "reject_all" => entry.3 += 1,
            other => panic!("unexpected action {other}"),
        }
    }
    days
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_equals_a_recount_of_the_ledger_export() {
    let server = TestServer::start().await;
    let start = server.clock.now_ms();
    // Ten days back from today, a few hundred choices a day on two sites.
    let mut sent = 0;
    for day in (0..10).rev() {
        server.clock.set(start - day * DAY_MS);
        for batch in 0..3 {
            let mut pending = Vec::new();
            for i in 0..100usize {
                let site = if (i + batch) % 5 == 0 {
                    "pamelding"
                } else {
                    "www"
                };
                let body = choice(&server, site, i + batch * 7 + day as usize);
                let server = &server;
                pending.push(async move {
                    let response = server.post_consent(&body).await;
                    let status = response.status();
                    assert!(
                        status.is_success(),
                        "{status}: {}",
                        response.text().await.unwrap()
                    );
                });
            }
            futures::future::join_all(pending).await;
            sent += 100;
        }
    }
    assert_eq!(sent, 3_000);
    server.clock.set(start);
    add(&server, "kari", Role::PrivacyLead).await;
    let cookie = sign_in(&server, "kari").await;
    let from = kapsel_core::calendar::rfc3339(start - 29 * DAY_MS)[..10].to_owned();
    let until = kapsel_core::calendar::rfc3339(start)[..10].to_owned();
    let mut total = 0;
    for site in ["www", "pamelding"] {
        let export = get(
            &server,
            &cookie,
            &format!("/console/ledger/export?lang=en&site={site}&from={from}&until={until}"),
        )
        .await;
        assert_eq!(export.status(), 200);
        let recounted = recount(&export.text().await.unwrap());
        let csv = get(
            &server,
            &cookie,
            &format!("/console/overview.csv?site={site}&days=30"),
        )
        .await
        .text()
        .await
        .unwrap();
        let mut shown = BTreeMap::new();
        for line in csv.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            let n = |i: usize| cells[i].parse::<i64>().unwrap();
            if n(4) > 0 {
                shown.insert(cells[0].to_owned(), (n(4), n(5), n(6), n(7)));
            }
        }
        assert_eq!(shown.len(), 10, "{site}: ten days with choices");
        assert_eq!(shown, recounted, "{site}");
        total += shown.values().map(|d| d.0).sum::<i64>();
        // The page shows the same total as its CSV.
        let page = get(
            &server,
            &cookie,
            &format!("/console?lang=en&site={site}&days=30"),
        )
        .await
        .text()
        .await
        .unwrap();
        let sum: i64 = shown.values().map(|d| d.0).sum();
        assert!(
            page.contains(&format!("Choices<strong>{sum}</strong>")),
            "{site}"
        );
        assert!(page.contains("<svg class=\"chart\""));
    }
    assert_eq!(total, 3_000);
    // A revision and a language narrow it; an unknown one is a 400 naming the field.
    let nb = get(
        &server,
        &cookie,
        "/console/overview.csv?site=www&days=7&language=nb",
    )
    .await;
    assert_eq!(nb.status(), 200);
    let bad = get(
        &server,
        &cookie,
        "/console?lang=en&site=www&days=7&language=xx",
    )
    .await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("language"));
    let bad = get(&server, &cookie, "/console?lang=en&days=365").await;
    assert_eq!(bad.status(), 400);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_when_idle_and_when_old() {
    let server = TestServer::start().await;
    add(&server, "ola", Role::Viewer).await;
    let cookie = sign_in(&server, "ola").await;
    assert_eq!(get(&server, &cookie, "/console").await.status(), 200);
    // Busy: a request every 29 minutes keeps it, until twelve hours have passed.
    for _ in 0..24 {
        server.clock.advance(29 * MINUTE_MS);
        assert_eq!(get(&server, &cookie, "/console/ledger").await.status(), 200);
    }
    server.clock.advance(29 * MINUTE_MS);
    let ended = get(&server, &cookie, "/console/ledger").await;
    assert_eq!(ended.status(), 303, "twelve hours after sign-in");
    assert_eq!(
        ended.headers()["location"],
        "/console/sign-in?lang=nb&ended=1",
        "the privacy file's first language"
    );
    // Idle: 30 minutes without a request.
    let cookie = sign_in(&server, "ola").await;
    server.clock.advance(30 * MINUTE_MS);
    assert_eq!(get(&server, &cookie, "/console").await.status(), 303);
    // And a disabled account's session ends at once.
    let cookie = sign_in(&server, "ola").await;
    server
        .store
        .set_disabled("ola", true, server.clock.now_ms())
        .await
        .unwrap();
    assert_eq!(get(&server, &cookie, "/console").await.status(), 303);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_answers_alike_for_unknown_names_and_throttles_both() {
    let server = TestServer::start().await;
    add(&server, "kari", Role::Admin).await;
    let attempt = |name: &'static str, password: &'static str| {
        let url = server.url("/console/sign-in?lang=en");
        async move {
            let response = client()
                .post(url)
                .form(&[("name", name), ("password", password)])
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (known, known_page) = attempt("kari", "wrong password here").await;
    let (unknown, unknown_page) = attempt("nobody", "wrong password here").await;
    assert_eq!((known, unknown), (401, 401));
    assert_eq!(
        known_page.replace("value=\"kari\"", "value=\"\""),
        unknown_page.replace("value=\"nobody\"", "value=\"\""),
        "the same page but for the name typed"
    );
    for _ in 0..4 {
        assert_eq!(attempt("kari", "wrong password here").await.0, 401);
        assert_eq!(attempt("nobody", "wrong password here").await.0, 401);
    }
    let (status, page) = attempt("kari", PASSWORD).await;
    assert_eq!(status, 429, "throttled: even the right password waits");
    assert!(page.contains("Too many failed attempts"));
    assert_eq!(attempt("nobody", PASSWORD).await.0, 429);
    // Other names from the same prefix still try.
    assert_eq!(attempt("ola", "wrong password here").await.0, 401);
    server.clock.advance(15 * MINUTE_MS);
    assert_eq!(
        attempt("kari", PASSWORD).await.0,
        303,
        "the window has passed"
    );
    // Every attempt is in the audit log.
    let audit = server.store.audit_page(None, 100).await.unwrap();
    let refused = audit
        .iter()
        .filter(|e| e.action == "sign_in_refused")
        .count();
    let throttled = audit
        .iter()
        .filter(|e| e.action == "sign_in_throttled")
        .count();
    assert_eq!((refused, throttled), (11, 2));
    assert!(server.store.verify_audit().await.unwrap().broken.is_none());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_forms_are_checked_on_every_action() {
    let source = format!("{}{PAGE_VIEWS_DECLARATION}", shop_privacy_source(false));
    let privacy = kapsel_core::privacy::load(&source, "kapsel.toml").unwrap();
    let server = TestServer::launch(privacy, false, |_| {}).await;
    add(&server, "viewer", Role::Viewer).await;
    add(&server, "lead", Role::PrivacyLead).await;
    let viewer = sign_in(&server, "viewer").await;
    let lead = sign_in(&server, "lead").await;
    for (path, status) in [
        ("/console", 200),
        ("/console/ledger", 200),
        ("/console/requests", 403),
        ("/console/audit", 403),
        (
            "/console/ledger/export?site=www&from=2026-01-01&until=2026-01-31",
            403,
        ),
        ("/console/no-such-page", 404),
    ] {
        assert_eq!(
            get(&server, &viewer, path).await.status(),
            status,
            "viewer {path}"
        );
    }
    let hold = |cookie: String, token: String| {
        let url = server.url("/console/retention/holds?lang=en");
        async move {
            client()
                .post(url)
                .header("cookie", cookie)
                .form(&[
                    ("csrf", token.as_str()),
                    ("target", "rule:page-views"),
                    ("reason", "A fictional dispute"),
                    ("until", "2026-06-30"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let viewer_token = csrf(&server, &viewer).await;
    let lead_token = csrf(&server, &lead).await;
    assert_eq!(
        hold(viewer.clone(), viewer_token.clone()).await,
        403,
        "a viewer holds nothing"
    );
    assert_eq!(
        hold(lead.clone(), viewer_token).await,
        403,
        "another session's token"
    );
    assert_eq!(hold(lead.clone(), String::new()).await, 403, "no token");
    let holds_before = kapsel_store::Retention::holds(&server.store)
        .await
        .unwrap()
        .len();
    assert_eq!(holds_before, 0);
    assert_eq!(hold(lead.clone(), lead_token.clone()).await, 303);
    let holds = kapsel_store::Retention::holds(&server.store).await.unwrap();
    assert_eq!(holds.len(), 1, "only the privacy lead's own form added one");
    assert_eq!(holds[0].owner, "lead");
    let release = client()
        .post(server.url(&format!(
            "/console/retention/holds/{}/release?lang=en",
            holds[0].id
        )))
        .header("cookie", &lead)
        .form(&[("csrf", lead_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(release.status(), 303);
    let holds = kapsel_store::Retention::holds(&server.store).await.unwrap();
    assert_eq!(holds[0].released_by.as_deref(), Some("account:lead"));
    let actions: Vec<String> = server
        .store
        .audit_page(None, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.actor, e.action))
        .collect();
    assert!(
        actions.contains(&"account:lead hold_add".to_owned()),
        "{actions:?}"
    );
    assert!(actions.contains(&"account:lead hold_release".to_owned()));
    // A form posted from another origin is refused before anything else.
    let foreign = client()
        .post(server.url("/console/sign-out?lang=en"))
        .header("cookie", &lead)
        .header("origin", "https://attacker.example.com")
        .form(&[("csrf", lead_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403);
    assert_eq!(
        get(&server, &lead, "/console").await.status(),
        200,
        "still signed in"
    );
    // Signing out ends the session; its cookie is worth nothing after.
    let out = client()
        .post(server.url("/console/sign-out?lang=en"))
        .header("cookie", &lead)
        .form(&[("csrf", lead_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(get(&server, &lead, "/console").await.status(), 303);
    server.stop().await;
}
