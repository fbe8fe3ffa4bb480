//! Carrying out requests end to end against a real server, its SQLite store and a real SQLite
//! "shop" database declared as a dataset in the privacy file: an access request submitted
//! through the form with a customer number, verified by its link, run by the admin API into a
//! bundle, completed only once the manual task is done, the answer mailed, the bundle
//! downloaded behind the status link and every step in a history that verifies; an erasure
//! planned and carried out exactly as planned on the requester alone, a second run changing
//! nothing, and an erasure interrupted after `erasure_started` resumed by the server itself;
//! a restriction on the suppression list; a webhook dataset called with a valid signature;
//! and the admin API refusing bad input with a problem and nothing written.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use kapsel_core::Clock as _;
use kapsel_core::Secret;
use kapsel_core::deadline::TargetRule;
use kapsel_core::desk::{CaseEventKind, NewCaseEvent, StepAction};
use kapsel_store::{CaseStore, Outbox, OutboxMail, Suppressions};
use kapsel_testkit::{TestServer, assert_problem, shop_privacy_source};
use serde_json::{Value, json};
use sqlx::sqlite::SqlitePool;

const TOKEN: &str = "admin-token-for-tests-only-0123456789";
const KEY: &str = "desk-key-for-tests-only-0123456789abcdef";

struct Shop {
    pool: SqlitePool,
    url: String,
    _dir: tempfile::TempDir,
}

async fn shop() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let shop = kapsel_testkit::Shop::create(&dir.path().join("shop.db"), 0).await;
    Shop {
        url: shop.url(),
        pool: shop.pool,
        _dir: dir,
    }
}

impl Shop {
    /// Every row of both tables as text, by table and id.
    async fn rows(&self) -> BTreeMap<String, Vec<(i64, String)>> {
        let mut all = BTreeMap::new();
        for (table, columns) in [
            (
                "customers",
                "customer_no || '|' || coalesce(email, '') || '|' || coalesce(name, '')",
            ),
            ("bookings", "customer_id || '|' || course"),
        ] {
            let rows: Vec<(i64, String)> =
                sqlx::query_as(&format!("SELECT id, {columns} FROM {table} ORDER BY id"))
                    .fetch_all(&self.pool)
                    .await
                    .unwrap();
            all.insert(table.to_owned(), rows);
        }
        all
    }
}

async fn server(shop: &Shop, webhook: Option<&str>) -> TestServer {
    let privacy =
        kapsel_core::privacy::load(&shop_privacy_source(webhook.is_some()), "kapsel.toml").unwrap();
    let url = shop.url.clone();
    let webhook = webhook.map(str::to_owned);
    TestServer::launch(privacy, false, move |config| {
        config.admin_token = Secret::new(TOKEN);
        config.desk.key = Secret::new(KEY);
        config.desk.lapse_interval = std::time::Duration::from_millis(100);
        config.desk.connectors.insert(
            "shop".into(),
            kapsel_server::ConnectorConfig {
                url: Secret::new(url).unwrap(),
                secret: None,
            },
        );
        if let Some(webhook) = webhook {
            config.desk.connectors.insert(
                "crm".into(),
                kapsel_server::ConnectorConfig {
                    url: Secret::new(webhook).unwrap(),
                    secret: Secret::new("webhook-secret-for-tests"),
                },
            );
        }
    })
    .await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn admin(server: &TestServer, method: &str, path: &str, body: Value) -> reqwest::Response {
    let url = server.url(&format!("/v1/admin/cases/{path}"));
    let request = match method {
        "GET" => client().get(url),
        _ => client().post(url).json(&body),
    };
    request.bearer_auth(TOKEN).send().await.unwrap()
}

async fn admin_ok(server: &TestServer, method: &str, path: &str, body: Value) -> Value {
    let response = admin(server, method, path, body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

async fn mails(server: &TestServer) -> Vec<OutboxMail> {
    server.store.list(None, 100).await.unwrap()
}

/// The path of the first link in `mail` that starts with `/sites/www/rights/{what}`.
fn link(mail: &OutboxMail, what: &str) -> String {
    let needle = format!("/sites/www/rights/{what}?t=");
    let start = mail.body_text.find(&needle).unwrap();
    mail.body_text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Submits `form` in `lang`, follows the verification link; the case id.
async fn verified_request(server: &TestServer, lang: &str, form: &str) -> String {
    let before: Vec<String> = mails(server).await.into_iter().map(|m| m.id).collect();
    let response = client()
        .post(server.url(&format!("/sites/www/rights?lang={lang}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let new: Vec<OutboxMail> = mails(server)
        .await
        .into_iter()
        .filter(|m| !before.contains(&m.id))
        .collect();
    assert_eq!(new.len(), 1, "one verification mail");
    let verify = link(&new[0], "verify");
    let response = client().get(server.url(&verify)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    new[0].case_id.clone().unwrap()
}

fn steps(shown: &Value, action: &str) -> Vec<Value> {
    shown["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == action)
        .cloned()
        .collect()
}

#[tokio::test]
async fn an_access_request_is_run_into_a_bundle_completed_and_downloaded_with_its_history() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    // The form asks for the declared customer number, labelled in the page's language.
    let page = client()
        .get(server.url("/sites/www/rights?lang=nn"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"customer-no\""), "{page}");
    assert!(page.contains("Står på fakturaen, til dømes K-1001."));
    assert!(page.contains("Kvittering for samtykkevalet (valfritt)"));
    assert!(page.contains("Kundenummer (valfritt)"), "{page}");

    // Kari's cookie choice, whose receipt she gives: its records go in the bundle.
    let consent = server.post_consent(&server.valid_body()).await;
    assert_eq!(consent.status(), 201);
    let receipt: Value = consent.json().await.unwrap();
    let receipt = receipt["id"].as_str().unwrap().to_owned();
    let id = verified_request(
        &server,
        "nn",
        &format!(
            "right=access&email=kari.nordmann%40example.org&customer-no=K-1001&receipt={receipt}"
        ),
    )
    .await;
    let case = server.store.case(&id).await.unwrap();
    assert_eq!(case.lang, "nn");
    assert_eq!(case.identifiers["customer-no"], "K-1001");

    // The dry run changes nothing and says what would be exported.
    let before = shop.rows().await;
    let plan = admin_ok(&server, "GET", &format!("{id}/plan"), Value::Null).await;
    assert_eq!(
        plan["datasets"][0]["rows"],
        json!({ "customers": 1, "bookings": 2 })
    );
    assert_eq!(plan["handled_separately"][0]["dataset"], "archive");

    let report = admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    assert_eq!(report["state"], "in_progress");
    let actions: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["exported", "bundle_ready"]);
    assert_eq!(report["pending_tasks"][0]["dataset"], "archive");
    assert_eq!(shop.rows().await, before, "access changes nothing");

    // Not complete while the manual task is open: 409, nothing written.
    let head = server.store.case(&id).await.unwrap().head_seq;
    let refused = admin(&server, "POST", &format!("{id}/complete"), json!({})).await;
    let problem = assert_problem(refused, 409, "case").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("archive"),
        "{problem}"
    );
    assert_eq!(server.store.case(&id).await.unwrap().head_seq, head);

    admin_ok(
        &server,
        "POST",
        &format!("{id}/tasks/archive"),
        json!({ "note": "No folder found for K-1001." }),
    )
    .await;
    admin_ok(&server, "POST", &format!("{id}/complete"), json!({})).await;
    let answer = mails(&server)
        .await
        .into_iter()
        .find(|m| m.template == "completed")
        .unwrap();
    assert_eq!(
        answer.subject,
        "Fjellvind Kurs AS: førespurnaden din er svart på"
    );
    assert!(answer.body_text.contains("7 dagar"), "{}", answer.body_text);
    assert!(
        answer
            .body_text
            .contains("Datatilsynet (https://www.datatilsynet.no/)")
    );

    // The status page offers the bundle; the download is the recorded bytes.
    let status = link(&answer, "status");
    let page = client()
        .get(server.url(&status))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Last ned opplysningane (ZIP)"), "{page}");
    // Seven days from the answer on (31 January), the last of them 7 February.
    assert!(page.contains("til og med 7. februar 2026"), "{page}");
    assert!(
        !page.contains("Du skal få svar"),
        "no deadline promise once answered: {page}"
    );
    let download = status.replace("/rights/status?", "/rights/bundle?");
    let response = client().get(server.url(&download)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bytes = response.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    let shown = admin_ok(&server, "GET", &id, Value::Null).await;
    let ready = &steps(&shown, "bundle_ready")[0];
    assert_eq!(
        ready["result"]["sha256"],
        kapsel_publish::bundle::sha256_hex(&bytes)
    );
    assert_eq!(ready["result"]["consent_records"], 1);
    assert_eq!(steps(&shown, "bundle_downloaded").len(), 1);
    assert_eq!(shown["chain"]["verified"], true);
    assert_eq!(shown["case"]["state"], "completed");

    // An expired bundle is gone: the sweep deletes it, and the link gets the refusal page.
    server.clock.advance(8 * 24 * 60 * 60 * 1000);
    let response = client().get(server.url(&download)).send().await.unwrap();
    assert_eq!(response.status(), 410);
    server.stop().await;
}

#[tokio::test]
async fn an_erasure_does_what_its_plan_said_to_the_requester_only_and_never_twice() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    let id = verified_request(
        &server,
        "nb",
        "right=erasure&email=kari.nordmann%40example.org",
    )
    .await;
    let before = shop.rows().await;
    let plan = admin_ok(&server, "GET", &format!("{id}/plan"), Value::Null).await;
    assert_eq!(shop.rows().await, before, "the dry run changes nothing");
    let planned = &plan["datasets"][0]["erasure"];

    let report = admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    let actions: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["erasure_planned", "erasure_started", "erased"]);
    // The recorded plan is the dry run's, and the outcome is the plan.
    assert_eq!(&report["steps"][0]["result"], planned);
    assert_eq!(&report["steps"][2]["result"]["tables"], planned);
    assert!(report["recipients"].as_array().is_some());

    let after = shop.rows().await;
    let kari_hash = kapsel_connect::keyed_hash(KEY.as_bytes(), "kari.nordmann@example.org");
    assert_eq!(
        after["customers"],
        [
            (1, format!("K-1001|{kari_hash}|")),
            (2, "K-1002|ola.nordmann@example.org|Ola Nordmann".to_owned()),
        ],
        "Kari's address hashed and name nulled, her customer number held; Ola untouched"
    );
    assert_eq!(after["bookings"], [(12, "2|Klatring".to_owned())]);

    // A second run does nothing more and records nothing more.
    let again = admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    assert_eq!(again["steps"], json!([]));
    assert_eq!(shop.rows().await, after);
    server.stop().await;
}

#[tokio::test]
async fn injection_payloads_as_identifiers_find_and_change_nothing() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    let before = shop.rows().await;
    for payload in [
        "' OR '1'='1",
        "K-1001' OR 1=1 --",
        "1; DROP TABLE customers",
        "\" OR \"\"=\"",
    ] {
        let form = format!(
            "right=erasure&email=someone%40example.org&customer-no={}",
            urlencode(payload)
        );
        let id = verified_request(&server, "en", &form).await;
        let report = admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
        let erased = report["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["action"] == "erased")
            .unwrap()
            .clone();
        let tables = erased["result"]["tables"].as_array().unwrap();
        assert!(
            tables.iter().all(|t| t["rows_found"] == 0),
            "{payload}: {erased}"
        );
        assert_eq!(shop.rows().await, before, "{payload} changed the shop");
    }
    server.stop().await;
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn an_erasure_interrupted_after_it_started_is_resumed_by_the_server() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    let id = verified_request(
        &server,
        "en",
        "right=erasure&email=ola.nordmann%40example.org",
    )
    .await;
    // The state a crash leaves between `erasure_started` and the erasure's commit: the case
    // in progress, the dataset planned and started, nothing erased, nothing recorded after.
    for kind in [
        CaseEventKind::Started,
        CaseEventKind::Step {
            action: StepAction::ErasurePlanned,
            dataset: "shop".into(),
            result: "[]".into(),
        },
        CaseEventKind::Step {
            action: StepAction::ErasureStarted,
            dataset: "shop".into(),
            result: "{}".into(),
        },
    ] {
        let event = NewCaseEvent {
            at_ms: server.clock.now_ms(),
            actor: "admin".into(),
            kind,
        };
        server
            .store
            .append_event(&id, event, TargetRule::SameDate)
            .await
            .unwrap();
    }
    // The sweep (every 100 ms here) finds it and finishes it.
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = admin_ok(&server, "GET", &id, Value::Null).await;
        if !steps(&shown, "erased").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let erased = steps(&shown, "erased");
    assert_eq!(erased.len(), 1, "{shown}");
    assert_eq!(erased[0]["result"]["resumed"], true);
    assert_eq!(
        steps(&shown, "erasure_started").len(),
        1,
        "not started twice"
    );
    assert_eq!(shown["chain"]["verified"], true);
    let rows = shop.rows().await;
    assert_eq!(
        rows["bookings"]
            .iter()
            .filter(|(_, r)| r.starts_with("2|"))
            .count(),
        0
    );
    assert_eq!(rows["bookings"].len(), 2, "Kari's bookings are kept");
    server.stop().await;
}

#[tokio::test]
async fn a_restriction_puts_the_requester_on_the_suppression_list_once() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    let id = verified_request(
        &server,
        "nb",
        "right=restriction&email=Kari.Nordmann%40example.org&customer-no=K-1001&activity=newsletter",
    )
    .await;
    admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    let listed = server.store.suppressions_of_case(&id).await.unwrap();
    assert_eq!(listed.len(), 2, "the address and the customer number");
    // Found from the identifier as another part of Kapsel would see it (lower-cased address).
    let hash = kapsel_connect::keyed_hash(KEY.as_bytes(), "email:kari.nordmann@example.org");
    assert_eq!(
        server
            .store
            .suppressed(std::slice::from_ref(&hash), "newsletter")
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        server
            .store
            .suppressed(&[hash], "accounting")
            .await
            .unwrap()
            .is_empty()
    );
    let shown = admin_ok(&server, "GET", &id, Value::Null).await;
    assert_eq!(steps(&shown, "suppressed").len(), 1);
    // The paper archive has no API: a person marks the folder restricted and says so.
    admin_ok(
        &server,
        "POST",
        &format!("{id}/tasks/archive"),
        json!({ "note": "Folder K-1001 marked: no newsletter." }),
    )
    .await;
    admin_ok(&server, "POST", &format!("{id}/complete"), json!({})).await;
    server.stop().await;
}

#[tokio::test]
async fn a_webhook_dataset_is_called_once_with_a_valid_signature() {
    let received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/erase",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/erase", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let shop = shop().await;
    let server = server(&shop, Some(&url)).await;
    let id = verified_request(
        &server,
        "nb",
        "right=erasure&email=kari.nordmann%40example.org&customer-no=K-1001",
    )
    .await;
    admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    let calls = received.lock().unwrap().clone();
    assert_eq!(calls.len(), 1, "answered 2xx once, not called again");
    let (headers, body) = &calls[0];
    let timestamp: i64 = headers["x-kapsel-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        headers["x-kapsel-signature"].to_str().unwrap(),
        kapsel_server::desk::work::webhook::signature(b"webhook-secret-for-tests", timestamp, body)
    );
    let sent: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(sent["action"], "erasure");
    assert_eq!(
        sent["identifiers"],
        json!({ "email": "kari.nordmann@example.org", "customer-no": "K-1001" })
    );
    let shown = admin_ok(&server, "GET", &id, Value::Null).await;
    assert_eq!(
        steps(&shown, "webhook_answered")[0]["result"]["status"],
        200
    );
    server.stop().await;
}

#[tokio::test]
async fn the_admin_api_refuses_bad_input_with_a_problem_and_writes_nothing() {
    let shop = shop().await;
    let server = server(&shop, None).await;
    let id = verified_request(
        &server,
        "nb",
        "right=erasure&email=kari.nordmann%40example.org",
    )
    .await;
    let head = || async { server.store.case(&id).await.unwrap().head_seq };
    let start = head().await;

    let anonymous = client()
        .get(server.url("/v1/admin/cases"))
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, 401, "Authorization").await;
    let wrong = client()
        .post(server.url(&format!("/v1/admin/cases/{id}/run")))
        .bearer_auth("not-the-token")
        .send()
        .await
        .unwrap();
    assert_problem(wrong, 401, "Authorization").await;

    let unknown = admin(&server, "POST", "01JUNKNOWNCASEID0000000000/run", json!({})).await;
    assert_eq!(unknown.status(), 404);
    let bad_field = admin(
        &server,
        "POST",
        &format!("{id}/extend"),
        json!({ "months": 2, "reason": "x", "why": 1 }),
    )
    .await;
    assert_problem(bad_field, 422, "why").await;
    let bad_type = admin(
        &server,
        "POST",
        &format!("{id}/extend"),
        json!({ "months": "two", "reason": "x" }),
    )
    .await;
    assert_problem(bad_type, 422, "body").await;
    let raw = client()
        .post(server.url(&format!("/v1/admin/cases/{id}/note")))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(r#"{"text":"a","text":"b"}"#)
        .send()
        .await
        .unwrap();
    assert_problem(raw, 400, "text").await;
    let ground = admin(
        &server,
        "POST",
        &format!("{id}/refuse"),
        json!({ "reason": "r", "ground": "because" }),
    )
    .await;
    assert_problem(ground, 422, "ground").await;
    // An erasure refusal needs its art. 17(3) ground.
    let groundless = admin(
        &server,
        "POST",
        &format!("{id}/refuse"),
        json!({ "reason": "r" }),
    )
    .await;
    assert_problem(groundless, 409, "case").await;
    let blank = admin(
        &server,
        "POST",
        &format!("{id}/tasks/archive"),
        json!({ "note": " " }),
    )
    .await;
    assert_problem(blank, 422, "note").await;
    let injected = admin(
        &server,
        "POST",
        &format!("{id}/tasks/archive'; DROP TABLE x"),
        json!({ "note": "x" }),
    )
    .await;
    assert_eq!(injected.status(), 404);
    assert_eq!(head().await, start, "nothing was written");

    // An extension after the first month is refused; within it, it is allowed and mailed.
    server.clock.advance(40 * 24 * 60 * 60 * 1000);
    let late = admin(
        &server,
        "POST",
        &format!("{id}/extend"),
        json!({ "months": 2, "reason": "many systems" }),
    )
    .await;
    assert_problem(late, 409, "case").await;
    assert_eq!(head().await, start);
    server.stop().await;
}
