//! Carrying out requests end to end against a real server, its SQLite store and a real SQLite
//! "shop" database declared as a dataset in the privacy file: an access request submitted
//! through the form with a customer number, verified by its link, run by the admin API into a
//! bundle, completed only once the manual task is done, the answer mailed, the bundle
//! downloaded behind the status link and every step in a history that verifies; an erasure
//! planned and carried out exactly as planned on the requester alone, a second run changing
//! nothing, and an erasure interrupted after `erasure_started` resumed by the server itself.
//! The other rights and the admin API's refusals are `desk_admin`'s, on the same helpers.

use std::collections::BTreeMap;

use kapsel_core::Clock as _;
use kapsel_core::Secret;
use kapsel_core::deadline::TargetRule;
use kapsel_core::desk::{CaseEventKind, NewCaseEvent, StepAction};
use kapsel_store::{CaseStore, Outbox, OutboxMail};
use kapsel_testkit::{TestServer, assert_problem, shop_privacy_source};
use serde_json::{Value, json};
use sqlx::sqlite::SqlitePool;

pub(super) const TOKEN: &str = "admin-token-for-tests-only-0123456789";
pub(super) const KEY: &str = "desk-key-for-tests-only-0123456789abcdef";

pub(super) struct Shop {
    pub(super) pool: SqlitePool,
    url: String,
    _dir: tempfile::TempDir,
}

pub(super) async fn shop() -> Shop {
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
    pub(super) async fn rows(&self) -> BTreeMap<String, Vec<(i64, String)>> {
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

pub(super) async fn server(shop: &Shop, webhook: Option<&str>) -> TestServer {
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

pub(super) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(super) async fn admin(
    server: &TestServer,
    method: &str,
    path: &str,
    body: Value,
) -> reqwest::Response {
    let url = server.url(&format!("/v1/admin/cases/{path}"));
    let request = match method {
        "GET" => client().get(url),
        _ => client().post(url).json(&body),
    };
    request.bearer_auth(TOKEN).send().await.unwrap()
}

pub(super) async fn admin_ok(server: &TestServer, method: &str, path: &str, body: Value) -> Value {
    let response = admin(server, method, path, body).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

pub(super) async fn mails(server: &TestServer) -> Vec<OutboxMail> {
    server.store.list(None, 100).await.unwrap()
}

/// The path of the first link in `mail` that starts with `/sites/www/rights/{what}`.
pub(super) fn link(mail: &OutboxMail, what: &str) -> String {
    let needle = format!("/sites/www/rights/{what}?t=");
    let start = mail.body_text.find(&needle).unwrap();
    mail.body_text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Submits `form` in `lang`, follows the verification link; the case id.
pub(super) async fn verified_request(server: &TestServer, lang: &str, form: &str) -> String {
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

pub(super) fn steps(shown: &Value, action: &str) -> Vec<Value> {
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
