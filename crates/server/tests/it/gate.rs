//! The consent gate end to end in one process: events through Segment's HTTP API, judged per
//! destination against the ledger at delivery, forwarded to loopback receivers standing in for
//! the destinations; a withdrawal and a desk objection stop forwarding; hostile requests store
//! nothing; a failing receiver retries into dead letters that replay; two instances share the
//! JetStream outbox. (The official Segment libraries and kill -9 are tested in
//! banner/test/gate*.test.mjs against the binary.)

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use kapsel_core::Secret;
use kapsel_core::privacy::PrivacyFile;
use kapsel_store::{DeliveryState, GateEvents, Store, Suppressions, TraceQuery};
use kapsel_testkit::TestServer;
use serde_json::{Value, json};

const WRITE_KEY: &str = "demo-write-key-0001";
const DESK_KEY: &str = "desk-key-for-tests-only-0123456789abcdef";
const DESTINATIONS: [&str; 5] = ["hook", "ga4", "meta", "adhook", "warehouse"];

/// What the stand-in destinations received: (path, headers, body) per request.
#[derive(Clone, Default)]
struct Receivers {
    seen: Arc<Mutex<Vec<(String, HeaderMap, Value)>>>,
    /// Answer with this status instead of 200 (0: answer 200).
    failing: Arc<AtomicU16>,
}

impl Receivers {
    async fn start() -> (Receivers, String) {
        let receivers = Receivers::default();
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(receivers.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receivers, base)
    }

    /// The message ids each destination received (from each adapter's own payload).
    fn ids_by_destination(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut by = BTreeMap::new();
        for (path, headers, body) in self.seen.lock().unwrap().iter() {
            let destination = path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap()
                .to_owned();
            let entry: &mut BTreeSet<String> = by.entry(destination.clone()).or_default();
            match destination.as_str() {
                "hook" | "adhook" => {
                    for e in body["events"].as_array().unwrap() {
                        entry.insert(e["message"]["messageId"].as_str().unwrap().to_owned());
                    }
                }
                "warehouse" => {
                    for e in body["batch"].as_array().unwrap() {
                        entry.insert(e["messageId"].as_str().unwrap().to_owned());
                    }
                }
                "mp" => {
                    // GA4 carries no messageId; its idempotency key stands for the event.
                    entry.insert(headers["idempotency-key"].to_str().unwrap().to_owned());
                }
                "meta" => {
                    for e in body["data"].as_array().unwrap() {
                        entry.insert(e["event_id"].as_str().unwrap().to_owned());
                    }
                }
                other => panic!("unexpected path {other}"),
            }
        }
        by
    }
}

async fn receive(
    State(receivers): State<Receivers>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let failing = receivers.failing.load(Ordering::SeqCst);
    if failing != 0 {
        return StatusCode::from_u16(failing).unwrap();
    }
    let body: Value = serde_json::from_slice(&body).unwrap();
    receivers
        .seen
        .lock()
        .unwrap()
        .push((uri.path().to_owned(), headers, body));
    StatusCode::OK
}

fn privacy() -> PrivacyFile {
    let root = kapsel_testkit::repo_root();
    let source = std::fs::read_to_string(root.join("examples/kapsel.toml")).unwrap()
        + &std::fs::read_to_string(root.join("examples/gate/destinations.toml")).unwrap();
    kapsel_core::privacy::load(&source, "kapsel.toml").unwrap()
}

fn configure(config: &mut kapsel_server::ServerConfig, receivers: &str) {
    let endpoint = |path: &str, credentials: &[(&str, &str)]| kapsel_gate::Endpoint {
        url: Some(format!("{receivers}{path}")),
        credentials: credentials
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    config.gate.write_keys = BTreeMap::from([("demo".to_owned(), Secret::new(WRITE_KEY).unwrap())]);
    config.gate.endpoints = BTreeMap::from([
        ("hook".to_owned(), endpoint("/hook", &[("secret", "s1")])),
        (
            "ga4".to_owned(),
            endpoint(
                "/mp/collect",
                &[("measurement_id", "G-T"), ("api_secret", "x")],
            ),
        ),
        (
            "meta".to_owned(),
            endpoint("/meta", &[("pixel_id", "1"), ("access_token", "t")]),
        ),
        (
            "adhook".to_owned(),
            endpoint("/adhook", &[("secret", "s2")]),
        ),
        (
            "warehouse".to_owned(),
            endpoint("/warehouse", &[("write_key", "w")]),
        ),
    ]);
    config.gate.delivery.idle = Duration::from_millis(20);
    config.desk.key = Secret::new(DESK_KEY);
}

async fn start(receivers: &str) -> TestServer {
    let receivers = receivers.to_owned();
    TestServer::launch(privacy(), false, move |c| configure(c, &receivers)).await
}

/// Records a choice for the demo site granting `granted`; its receipt id and secret.
async fn choose(server: &TestServer, granted: &[&str]) -> (String, String) {
    let categories: BTreeMap<&str, bool> = ["functional", "analytics", "marketing"]
        .iter()
        .map(|c| (*c, granted.contains(c)))
        .chain([("necessary", true)])
        .collect();
    let body = json!({
        "site": "demo",
        "revision": server.revision("demo"),
        "language": "nb",
        "action": "custom",
        "categories": categories,
        "services": {},
    });
    let answer: Value = server.post_consent(&body).await.json().await.unwrap();
    (
        answer["id"].as_str().unwrap().to_owned(),
        answer["receipt_secret"].as_str().unwrap().to_owned(),
    )
}

fn track(id: &str, receipt: Option<&str>) -> Value {
    let mut event = json!({
        "type": "track", "event": "Order Completed", "messageId": id, "anonymousId": "a-1",
        "userId": "K-1001",
        "properties": {"revenue": 499.0, "currency": "NOK"},
        "context": {"ip": "198.51.100.77", "page": {"url": "http://localhost/demo/"},
                    "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
                    "traits": {"email": "kari.nordmann@example.no"}},
    });
    if let Some(receipt) = receipt {
        event["context"]["kapsel"] = json!({ "receipt": receipt });
    }
    event
}

async fn send(server: &TestServer, batch: Vec<Value>) -> reqwest::Response {
    server
        .client
        .post(server.url("/v1/batch"))
        .basic_auth(WRITE_KEY, Some(""))
        .json(&json!({ "batch": batch }))
        .send()
        .await
        .unwrap()
}

/// Waits until no delivery of the events received at the server's time is pending.
async fn settled(store: &Store) -> Vec<kapsel_store::Delivery> {
    for _ in 0..500 {
        let rows = store
            .trace(
                &TraceQuery::Between {
                    from_ms: 0,
                    to_ms: i64::MAX,
                },
                100_000,
            )
            .await
            .unwrap();
        if rows
            .iter()
            .all(|r| !matches!(r.state, DeliveryState::Pending | DeliveryState::Failed))
        {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("deliveries did not settle in 10 s");
}

fn needs(destination: &str) -> &'static [&'static str] {
    match destination {
        "hook" | "ga4" => &["analytics"],
        "meta" => &["marketing"],
        "adhook" => &["analytics", "marketing"],
        _ => &[],
    }
}

#[tokio::test]
async fn events_reach_exactly_the_destinations_their_consent_allows() {
    let (receivers, base) = Receivers::start().await;
    let server = start(&base).await;
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut batch = Vec::new();
    let combos: [&[&str]; 4] = [
        &[],
        &["analytics"],
        &["marketing"],
        &["analytics", "marketing"],
    ];
    for (c, granted) in combos.iter().enumerate() {
        let (receipt, _) = choose(&server, granted).await;
        for n in 0..3 {
            let id = format!("c{c}-{n}");
            for destination in DESTINATIONS {
                if needs(destination).iter().all(|n| granted.contains(n)) {
                    expected
                        .entry(destination.to_owned())
                        .or_default()
                        .insert(id.clone());
                }
            }
            batch.push(track(&id, Some(&receipt)));
        }
    }
    for n in 0..3 {
        let id = format!("none-{n}");
        expected
            .entry("warehouse".to_owned())
            .or_default()
            .insert(id.clone());
        batch.push(track(&id, None));
    }
    let answer = send(&server, batch).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.json::<Value>().await.unwrap(),
        json!({"success": true})
    );
    let trace = settled(&server.store).await;
    assert_eq!(
        trace.len(),
        15 * 5,
        "one decision per event and destination"
    );
    let key = |d: &str, id: &str| kapsel_gate::idempotency_key("demo", id, d);
    let mut got = receivers.ids_by_destination();
    // GA4 and Meta name events by their idempotency key.
    for (path, destination) in [("mp", "ga4"), ("meta", "meta")] {
        let keys = got.remove(path).unwrap_or_default();
        let ids: BTreeSet<String> = trace
            .iter()
            .filter(|d| {
                d.destination == destination && keys.contains(&key(destination, &d.message_id))
            })
            .map(|d| d.message_id.clone())
            .collect();
        assert_eq!(
            ids.len(),
            keys.len(),
            "{destination}: every key is an event"
        );
        got.insert(destination.to_owned(), ids);
    }
    for destination in DESTINATIONS {
        assert_eq!(
            got.get(destination).cloned().unwrap_or_default(),
            expected.get(destination).cloned().unwrap_or_default(),
            "{destination}"
        );
    }
    let blocked = trace
        .iter()
        .find(|d| d.message_id == "c1-0" && d.destination == "meta")
        .unwrap();
    assert_eq!(blocked.state, DeliveryState::Blocked);
    assert_eq!(blocked.reason.as_deref(), Some("category:marketing"));
    // Nothing that left carried the full address or user-agent string.
    for (_, _, body) in receivers.seen.lock().unwrap().iter() {
        let text = body.to_string();
        assert!(
            !text.contains("198.51.100.77") && !text.contains("Mozilla"),
            "{text}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_withdrawal_stops_forwarding_for_its_receipt_at_once() {
    let (receivers, base) = Receivers::start().await;
    let server = start(&base).await;
    let (receipt, secret) = choose(&server, &["analytics", "marketing"]).await;
    send(&server, vec![track("before", Some(&receipt))]).await;
    settled(&server.store).await;
    let withdrawal = json!({
        "site": "demo", "revision": server.revision("demo"), "language": "nb",
        "action": "withdraw",
        "categories": {"necessary": true, "functional": false, "analytics": false, "marketing": false},
        "services": {}, "previous_receipt": receipt, "receipt_secret": secret,
    });
    assert_eq!(server.post_consent(&withdrawal).await.status(), 201);
    send(&server, vec![track("after", Some(&receipt))]).await;
    let trace = settled(&server.store).await;
    for d in trace.iter().filter(|d| d.message_id == "after") {
        let expected = if d.destination == "warehouse" {
            DeliveryState::Forwarded
        } else {
            DeliveryState::Blocked
        };
        assert_eq!(d.state, expected, "{}", d.destination);
    }
    let got = receivers.ids_by_destination();
    assert!(got["hook"].contains("before") && !got["hook"].contains("after"));
    let by_receipt = server
        .store
        .trace(&TraceQuery::Receipt(receipt), 100)
        .await
        .unwrap();
    assert_eq!(by_receipt.len(), 10);
    server.stop().await;
}

#[tokio::test]
async fn an_objection_on_the_desk_suppresses_the_subjects_events_for_that_activity() {
    let (_receivers, base) = Receivers::start().await;
    let server = TestServer::launch(privacy(), false, move |c| {
        configure(c, &base);
        c.admin_token = Secret::new(super::desk_work::TOKEN);
    })
    .await;
    // The visitor objects through the privacy centre; the desk lists their address.
    let case = super::desk_work::verified_request(
        &server,
        "en",
        "right=objection&email=kari.nordmann%40example.no&activity=marketing",
    )
    .await;
    super::desk_work::admin_ok(&server, "POST", &format!("{case}/run"), json!({})).await;
    let hash =
        kapsel_connect::identifier_hash(DESK_KEY.as_bytes(), "email", "kari.nordmann@example.no");
    assert_eq!(
        server
            .store
            .suppressed(&[hash], "marketing")
            .await
            .unwrap()
            .len(),
        1,
        "the desk listed the objection"
    );
    let (receipt, _) = choose(&server, &["analytics", "marketing"]).await;
    send(&server, vec![track("objected", Some(&receipt))]).await;
    let trace = settled(&server.store).await;
    let state = |d: &str| trace.iter().find(|r| r.destination == d).unwrap().clone();
    assert_eq!(state("meta").reason.as_deref(), Some("objection:marketing"));
    assert_eq!(
        state("adhook").reason.as_deref(),
        Some("objection:marketing")
    );
    assert_eq!(
        state("hook").state,
        DeliveryState::Forwarded,
        "web-analytics was not objected to"
    );
    server.stop().await;
}

#[tokio::test]
async fn hostile_requests_get_a_problem_and_store_nothing() {
    let (receivers, base) = Receivers::start().await;
    let server = start(&base).await;
    let post = |body: Vec<u8>, key: &str| {
        server
            .client
            .post(server.url("/v1/batch"))
            .basic_auth(key, Some(""))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let mut deep = json!(1);
    for _ in 0..40 {
        deep = json!({ "n": deep });
    }
    let big = "x".repeat(40 * 1024);
    let one = json!({"type": "track", "event": "e", "anonymousId": "a", "properties": {"x": "y".repeat(30_000)}});
    let many: Vec<Value> = vec![one; 20];
    let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (b"{\"batch\": [".to_vec(), WRITE_KEY, 400, "body"),
        (json!({"batch": [track("a", None)]}).to_string().into_bytes(), "wrong-key-123", 401, "Authorization"),
        (json!({"batch": [{"type": "track", "event": "e", "anonymousId": "a", "properties": {"x": big}}]}).to_string().into_bytes(), WRITE_KEY, 422, "batch[0]"),
        (json!({ "batch": many }).to_string().into_bytes(), WRITE_KEY, 413, "body"),
        (json!({"batch": [{"type": "track", "event": "e", "anonymousId": "a", "properties": deep}]}).to_string().into_bytes(), WRITE_KEY, 422, "batch[0].properties"),
        (json!({"batch": [track("ok", None), {"type": "track", "event": "<script>alert(1)</script>", "anonymousId": "a"}]}).to_string().into_bytes(), WRITE_KEY, 422, "batch[1].event"),
        (json!({"batch": [{"type": "track", "event": "x'; DROP TABLE gate_events; --", "anonymousId": "a"}]}).to_string().into_bytes(), WRITE_KEY, 422, "batch[0].event"),
        (json!({"batch": [{"type": "track", "event": "e", "anonymousId": "a", "properties": {"../../etc/passwd": 1}}]}).to_string().into_bytes(), WRITE_KEY, 422, "batch[0].properties.../../etc/passwd"),
        (json!({"batch": [track("r", None)], "extra": 1}).to_string().into_bytes(), WRITE_KEY, 422, "extra"),
    ];
    for (body, key, status, field) in cases {
        let answer = post(body, key).await.unwrap();
        assert_eq!(answer.status().as_u16(), status, "{field}");
        assert_eq!(
            answer.headers()["content-type"],
            "application/problem+json",
            "{field}"
        );
        let problem: Value = answer.json().await.unwrap();
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|x| x["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "{field}: {problem}"
        );
    }
    let trace = server
        .store
        .trace(
            &TraceQuery::Between {
                from_ms: 0,
                to_ms: i64::MAX,
            },
            100,
        )
        .await
        .unwrap();
    assert!(trace.is_empty(), "nothing was stored: {trace:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(receivers.seen.lock().unwrap().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_failing_destination_is_retried_then_dead_and_a_replay_delivers() {
    let (receivers, base) = Receivers::start().await;
    let base_for_config = base.clone();
    let server = TestServer::launch(privacy(), false, move |c| {
        configure(c, &base_for_config);
        c.gate.delivery.max_attempts = 3;
        c.gate.delivery.first_retry_ms = 1_000;
        c.admin_token = Secret::new("admin-token-for-tests");
    })
    .await;
    receivers.failing.store(503, Ordering::SeqCst);
    send(&server, vec![track("flaky", None)]).await;
    // Three attempts, the clock moved past each backoff; then it is dead.
    for _ in 0..200 {
        let dead = server.store.trace(&TraceQuery::Dead, 10).await.unwrap();
        if !dead.is_empty() {
            break;
        }
        server.clock.advance(60_000);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let dead = server.store.trace(&TraceQuery::Dead, 10).await.unwrap();
    assert_eq!(
        dead.len(),
        1,
        "only warehouse takes an event without consent"
    );
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(dead[0].reason.as_deref(), Some("HTTP 503"));
    let listed: Value = server
        .client
        .get(server.url("/v1/admin/gate/dead"))
        .bearer_auth("admin-token-for-tests")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["dead"][0]["message_id"], "flaky");
    receivers.failing.store(0, Ordering::SeqCst);
    let replay = server
        .client
        .post(server.url("/v1/admin/gate/replay"))
        .bearer_auth("admin-token-for-tests")
        .json(&json!({"site": "demo", "message_id": "flaky", "destination": "warehouse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 200);
    settled(&server.store).await;
    assert!(receivers.ids_by_destination()["warehouse"].contains("flaky"));
    server.stop().await;
}

#[tokio::test]
async fn two_instances_share_the_jetstream_outbox_and_deliver_every_event() {
    let Some(schema) = kapsel_testkit::PgSchema::create("gate_jetstream").await else {
        return;
    };
    let (receivers, base) = Receivers::start().await;
    let stream = format!("KAPSEL_TEST_{}", std::process::id());
    let mut servers = Vec::new();
    for chain in ["chain-a", "chain-b"] {
        let store = Store::open_postgres_with(schema.options()).await.unwrap();
        let kept = tempfile::tempdir().unwrap();
        let (base, stream) = (base.clone(), stream.clone());
        servers.push(
            TestServer::launch_on(store, kept, chain, privacy(), false, move |c| {
                configure(c, &base);
                c.gate.jetstream = Some(("nats://127.0.0.1:4222".to_owned(), stream));
            })
            .await,
        );
    }
    let mut sent = BTreeSet::new();
    for round in 0..10 {
        let server = &servers[round % 2];
        let batch: Vec<Value> = (0..20)
            .map(|n| {
                let id = format!("js-{round}-{n}");
                sent.insert(id.clone());
                track(&id, None)
            })
            .collect();
        assert_eq!(send(server, batch).await.status(), 200);
    }
    // The same messageIds again through the other instance: JetStream drops them.
    let again: Vec<Value> = (0..20).map(|n| track(&format!("js-0-{n}"), None)).collect();
    assert_eq!(send(&servers[1], again).await.status(), 200);
    let store = servers[0].store.clone();
    let mut warehouse = BTreeSet::new();
    for _ in 0..500 {
        warehouse = receivers
            .ids_by_destination()
            .remove("warehouse")
            .unwrap_or_default();
        if warehouse.len() >= sent.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(warehouse, sent, "every acknowledged event was delivered");
    // JetStream's workers record each decision in the store's trace as they settle it.
    let mut trace = Vec::new();
    for _ in 0..500 {
        trace = settled(&store).await;
        if trace.len() >= sent.len() * DESTINATIONS.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(trace.len(), sent.len() * DESTINATIONS.len());
    assert!(trace.iter().all(|d| d.decided_ms.is_some()));
    for server in servers {
        server.stop().await;
    }
    kapsel_gate::jetstream::delete_stream("nats://127.0.0.1:4222", &stream)
        .await
        .unwrap();
    schema.drop_schema().await;
}
