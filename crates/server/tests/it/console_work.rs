//! Work done from the console, over real HTTP: a respondent carries a restriction request
//! through run, the manual task and the answer, each step in the case's history under their
//! own account (its mails under Kapsel's) and in the audit log, while a refused step writes nothing and a viewer may do
//! nothing; the case's dry run reads the shop; the retention dry run counts what the next run
//! would delete, and what a hold stops; and the banner's view reports reach the overview,
//! with every bad report refused by a problem that names its parameter.

use kapsel_core::Clock as _;
use kapsel_core::console::Role;
use kapsel_core::retention::hold::{Hold, HoldScope};
use kapsel_store::ledger::counts::{CountFilter, day_of};
use kapsel_store::{AuditLog, CaseStore, ConsentCounts, Retention};
use kapsel_testkit::{
    PAGE_VIEWS_DECLARATION, Shop, TestServer, assert_problem, shop_privacy_source,
};

use super::console::{add, client, csrf, get, sign_in};
use super::desk_work::{server, shop, verified_request};

async fn post(
    server: &TestServer,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let response = client()
        .post(server.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    (status, location.unwrap_or(body))
}

async fn history(server: &TestServer, id: &str) -> Vec<(String, String)> {
    server
        .store
        .events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.kind.name().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_respondent_works_a_case_from_the_console_under_their_own_name() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    add(&server, "viewer", Role::Viewer).await;
    add(&server, "resp", Role::Respondent).await;
    let id = verified_request(
        &server,
        "nb",
        "right=restriction&email=Kari.Nordmann%40example.org&customer-no=K-1001&activity=newsletter",
    )
    .await;
    let path = format!("/console/requests/{id}?lang=en");
    let viewer = sign_in(&server, "viewer").await;
    let resp = sign_in(&server, "resp").await;

    // A viewer sees no case at all, and may post nothing to one.
    assert_eq!(get(&server, &viewer, &path).await.status(), 403);
    let viewer_token = csrf(&server, &viewer).await;
    let (status, _) = post(
        &server,
        &viewer,
        &path,
        &[("csrf", &viewer_token), ("action", "note"), ("text", "x")],
    )
    .await;
    assert_eq!(status, 403);

    // The verified case offers a run, not a second verification.
    let page = get(&server, &resp, &path).await.text().await.unwrap();
    assert!(page.contains("name=\"action\" value=\"run\""), "{page}");
    assert!(!page.contains("name=\"action\" value=\"verify\""), "{page}");
    let token = csrf(&server, &resp).await;
    let before = history(&server, &id).await;

    // What the state does not allow is refused on the case's page, and writes nothing.
    let (status, body) = post(
        &server,
        &resp,
        &path,
        &[("csrf", &token), ("action", "resume")],
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("role=\"alert\""), "{body}");
    assert!(
        body.contains("The case did not allow the action."),
        "{body}"
    );
    let (status, _) = post(
        &server,
        &resp,
        &path,
        &[("csrf", &token), ("action", "note")],
    )
    .await;
    assert_eq!(status, 400, "a note needs its text");
    let (status, _) = post(
        &server,
        &resp,
        &path,
        &[("csrf", &token), ("action", "format-disk")],
    )
    .await;
    assert_eq!(status, 400, "an unknown action");
    assert_eq!(history(&server, &id).await, before);

    // Run, the manual task, and the answer, each under the respondent's account.
    for form in [
        vec![("action", "run")],
        vec![
            ("action", "task_done"),
            ("dataset", "archive"),
            (
                "note",
                "Folder K-1001 marked: no newsletter. <script>alert(1)</script>",
            ),
        ],
        vec![("action", "complete")],
    ] {
        let action = form[0].1;
        let mut fields = vec![("csrf", token.as_str())];
        fields.extend(form.iter().copied());
        let (status, location) = post(&server, &resp, &path, &fields).await;
        assert_eq!(status, 303, "{action}: {location}");
        assert_eq!(
            location,
            format!("/console/requests/{id}?lang=en&done={action}")
        );
    }
    let after = history(&server, &id).await;
    let by_resp: Vec<&str> = after[before.len()..]
        .iter()
        .filter(|(actor, _)| actor == "account:resp")
        .map(|(_, kind)| kind.as_str())
        .collect();
    assert!(by_resp.contains(&"started"), "{after:?}");
    assert!(by_resp.contains(&"step"), "{after:?}");
    assert!(by_resp.contains(&"completed"), "{after:?}");
    assert!(
        after[before.len()..]
            .iter()
            .all(|(actor, _)| actor == "account:resp" || actor == "kapsel"),
        "{after:?}"
    );
    assert_eq!(
        server.store.case(&id).await.unwrap().state.as_str(),
        "completed"
    );

    // The page says it was recorded, and shows the note as text, never as markup.
    let page = get(&server, &resp, &format!("{path}&done=complete"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Recorded in the case&#39;s history.")
            || page.contains("Recorded in the case's history."),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"), "{page}");

    let audit: Vec<String> = server
        .store
        .audit_page(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {} {}", e.actor, e.action, e.target))
        .collect();
    for action in ["case_run", "case_task_done", "case_complete"] {
        assert!(
            audit.contains(&format!("account:resp {action} {id}")),
            "{action}: {audit:?}"
        );
    }
    assert!(
        !audit.iter().any(|a| a.contains("case_resume")),
        "{audit:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_cases_dry_run_reads_the_shop_and_changes_nothing() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    add(&server, "resp", Role::Respondent).await;
    let id = verified_request(
        &server,
        "en",
        "right=erasure&email=Kari.Nordmann%40example.org&customer-no=K-1001",
    )
    .await;
    let resp = sign_in(&server, "resp").await;
    let before = shop.rows().await;
    let response = get(
        &server,
        &resp,
        &format!("/console/requests/{id}/dry-run?lang=en"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    // Kari has one customer row and two bookings; the page has a row for each table.
    assert!(
        page.contains("<th scope=\"row\">bookings</th><td>2</td>"),
        "{page}"
    );
    assert!(
        page.contains("<th scope=\"row\">customers</th><td>1</td>"),
        "{page}"
    );
    assert_eq!(shop.rows().await, before, "a dry run changes nothing");
    let audit = server.store.audit_page(None, 10).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "dry_run_case" && e.target == id)
    );
    server.stop().await;
}

#[tokio::test]
async fn the_retention_dry_run_counts_what_the_next_run_would_delete() {
    const EXPIRED: i64 = 1_500;
    const RECENT: i64 = 500;
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::create(&dir.path().join("shop.db"), 0).await;
    shop.add_page_views(EXPIRED, RECENT, "2026-01-31 10:00:00")
        .await;
    let source = format!("{}{PAGE_VIEWS_DECLARATION}", shop_privacy_source(false));
    let privacy = kapsel_core::privacy::load(&source, "kapsel.toml").unwrap();
    let url = shop.url();
    let server = TestServer::launch(privacy, false, move |config| {
        config.desk.key = kapsel_core::Secret::new("desk-key-for-tests-only-0123456789abcdef");
        config.desk.connectors.insert(
            "shop".into(),
            kapsel_server::ConnectorConfig {
                url: kapsel_core::Secret::new(url).unwrap(),
                secret: None,
            },
        );
        config.retention.every = None;
        config.retention.options.max_share = 0.5;
    })
    .await;
    add(&server, "viewer", Role::Viewer).await;
    let viewer = sign_in(&server, "viewer").await;
    let response = get(&server, &viewer, "/console/retention/plan?lang=en").await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let row = page
        .split("<tr>")
        .find(|r| r.contains("<code>page-views</code>"))
        .unwrap_or_else(|| panic!("no row for the rule: {page}"));
    let cells: Vec<&str> = row
        .split("<td>")
        .skip(1)
        .map(|c| c.split("</td>").next().unwrap())
        .collect();
    // action, cutoff, rows in the table, expired, kept, oldest, note
    assert_eq!(cells[0], "Delete rows");
    assert_eq!(cells[2], (EXPIRED + RECENT).to_string());
    assert_eq!(cells[3], EXPIRED.to_string());
    assert_eq!(cells[4], "0");
    assert!(cells[6].contains("Over the safety limit (50 %"), "{row}");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM page_views")
        .fetch_one(&shop.pool)
        .await
        .unwrap();
    assert_eq!(count, EXPIRED + RECENT, "a dry run deletes nothing");

    // A hold on the rule stops it, and the dry run says which.
    let now = server.clock.now_ms();
    server
        .store
        .add_hold(&Hold {
            id: "H-0000beef".into(),
            scope: HoldScope::Rule {
                rule: "page-views".into(),
            },
            owner: "lead".into(),
            reason: "A fictional audit".into(),
            created_ms: now,
            expires_ms: now + 86_400_000,
            released_ms: None,
            released_by: None,
            reminded_ms: None,
        })
        .await
        .unwrap();
    let page = get(&server, &viewer, "/console/retention/plan?lang=nb")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Stoppes av sletteforbud <code>H-0000beef</code>"),
        "{page}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_retention_dry_run_says_which_rule_it_could_not_read() {
    let source = format!("{}{PAGE_VIEWS_DECLARATION}", shop_privacy_source(false));
    let privacy = kapsel_core::privacy::load(&source, "kapsel.toml").unwrap();
    // The settings name no connection for the shop at all.
    let server = TestServer::launch(privacy, false, |config| {
        config.retention.every = None;
    })
    .await;
    add(&server, "viewer", Role::Viewer).await;
    let viewer = sign_in(&server, "viewer").await;
    let response = get(&server, &viewer, "/console/retention/plan?lang=en").await;
    assert_eq!(response.status(), 502);
    let page = response.text().await.unwrap();
    assert!(page.contains("role=\"alert\""), "{page}");
    assert!(page.contains("<code>page-views</code>"), "{page}");
    assert!(page.contains("[connectors.shop]"), "{page}");
    server.stop().await;
}

#[tokio::test]
async fn the_banners_view_reports_reach_the_overview_and_bad_ones_are_refused() {
    let server = TestServer::start().await;
    let revision = server.revision("www");
    let report = |query: String, origin: Option<&'static str>| {
        let url = server.url(&format!("/v1/banner-views?{query}"));
        async move {
            let mut request = client().post(url);
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            request.send().await.unwrap()
        }
    };
    let good = |language: &str, event: &str| {
        format!("site=www&revision={revision}&language={language}&event={event}")
    };
    for (language, event) in [
        ("nb", "shown"),
        ("nb", "shown"),
        ("en", "shown"),
        ("nb", "ignored"),
    ] {
        let response = report(good(language, event), None).await;
        assert_eq!(response.status(), 204, "{language} {event}");
    }
    // Every bad report names what is wrong, and counts nothing.
    for (query, status, field) in [
        (
            format!("revision={revision}&language=nb&event=shown"),
            400,
            "site",
        ),
        (
            "site=www&language=nb&event=shown".to_owned(),
            400,
            "revision",
        ),
        (
            format!("site=www&revision={revision}&event=shown"),
            400,
            "language",
        ),
        (
            format!("site=www&revision={revision}&language=nb"),
            400,
            "event",
        ),
        (
            format!("site=nowhere&revision={revision}&language=nb&event=shown"),
            400,
            "site",
        ),
        (
            "site=www&revision=r-unknown&language=nb&event=shown".to_owned(),
            409,
            "revision",
        ),
        (
            format!("site=www&revision={revision}&language=de&event=shown"),
            400,
            "language",
        ),
        (
            format!("site=www&revision={revision}&language=nb&event=clicked"),
            400,
            "event",
        ),
        (
            format!("{}&visitor=42", good("nb", "shown")),
            400,
            "visitor",
        ),
        (
            format!("{}&event=ignored", good("nb", "shown")),
            400,
            "event",
        ),
    ] {
        let response = report(query.clone(), None).await;
        assert_problem(response, status, field).await;
    }
    let foreign = report(good("nb", "shown"), Some("https://attacker.example.com")).await;
    assert_problem(foreign, 403, "Origin").await;

    let today = day_of(server.clock.now_ms());
    let counts = server
        .store
        .view_counts(&CountFilter {
            site: "www".into(),
            from_day: today,
            to_day: today,
            revision: None,
            language: None,
        })
        .await
        .unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!((counts[0].shown, counts[0].ignored), (3, 1));

    // The overview and its CSV show the same numbers.
    add(&server, "viewer", Role::Viewer).await;
    let viewer = sign_in(&server, "viewer").await;
    let csv = get(
        &server,
        &viewer,
        "/console/overview.csv?lang=en&site=www&days=7",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",banner_shown,ignored"),
        "{csv}"
    );
    let last = csv.lines().last().unwrap();
    assert!(last.ends_with(",3,1"), "{csv}");
    // A language or revision with views but no choice yet is a filter too.
    let nb_only = get(
        &server,
        &viewer,
        &format!("/console/overview.csv?lang=en&site=www&days=7&language=nb&revision={revision}"),
    )
    .await;
    assert_eq!(nb_only.status(), 200);
    let nb_only = nb_only.text().await.unwrap();
    assert!(
        nb_only.lines().last().unwrap().ends_with(",2,1"),
        "{nb_only}"
    );
    let page = get(&server, &viewer, "/console?lang=en&site=www&days=7")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Banner shown<strong>3</strong>"), "{page}");
    assert!(
        page.contains("Share ignored<strong>33.3 %</strong>"),
        "{page}"
    );
    server.stop().await;
}
