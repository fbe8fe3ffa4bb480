//! The retention engine on the server's schedule, against a real SQLite shop whose page views
//! are 3,000 expired and 1,000 recent at the test clock: the server runs the rule by itself,
//! records it, reports it in `/metrics` and reminds a hold's owner by mail once. Then two
//! servers on one PostgreSQL store with the same rule: only one runs it at a time, which the
//! rule's one chain of records shows (no run starts before the one before it ended, and every
//! record of a run names the same holder).

use std::time::Duration;

use kapsel_core::Secret;
use kapsel_core::retention::hold::{Hold, HoldScope};
use kapsel_core::retention::record::{DisposalKind, DisposalRecord, verify_chain};
use kapsel_store::{Outbox, Retention, Store};
use kapsel_testkit::{PAGE_VIEWS_DECLARATION, START_MS, Shop, TestServer, shop_privacy_source};

const EXPIRED: i64 = 3_000;
const RECENT: i64 = 1_000;
/// The test clock's instant as SQLite writes it.
const START: &str = "2026-01-31 10:00:00";

fn adjust(url: String) -> impl FnOnce(&mut kapsel_server::ServerConfig) {
    move |config| {
        config.desk.key = Secret::new("desk-key-for-tests-only-0123456789abcdef");
        config.desk.connectors.insert(
            "shop".into(),
            kapsel_server::ConnectorConfig {
                url: Secret::new(url).unwrap(),
                secret: None,
            },
        );
        config.retention.every = Some(Duration::from_millis(100));
        config.retention.options.batch_rows = 250;
        config.retention.options.pause_ms = 5;
        config.retention.options.max_share = 1.0;
    }
}

fn privacy() -> kapsel_core::privacy::PrivacyFile {
    let source = format!("{}{PAGE_VIEWS_DECLARATION}", shop_privacy_source(false));
    kapsel_core::privacy::load(&source, "kapsel.toml").unwrap()
}

async fn page_views(shop: &Shop) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM page_views")
        .fetch_one(&shop.pool)
        .await
        .unwrap()
}

/// Waits until the rule's chain holds a `run_finished` with every expired row deleted.
async fn finished(store: &Store) -> Vec<DisposalRecord> {
    for _ in 0..600 {
        let records = store.disposals("page-views").await.unwrap();
        let deleted: u64 = records
            .iter()
            .filter(|r| r.kind == DisposalKind::BatchDone)
            .map(|r| r.count("rows_deleted"))
            .sum();
        if deleted == EXPIRED as u64 && records.iter().any(|r| r.kind == DisposalKind::RunFinished)
        {
            return records;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not finish the rule within 30 s");
}

#[tokio::test]
async fn the_server_runs_each_rule_on_its_schedule_reports_it_and_reminds_a_holds_owner() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::create(&dir.path().join("shop.db"), 0).await;
    shop.add_page_views(EXPIRED, RECENT, START).await;
    let server = TestServer::launch(privacy(), true, adjust(shop.url())).await;
    let hold = Hold {
        id: "H-1".into(),
        scope: HoldScope::Rule {
            rule: "other-rule".into(),
        },
        owner: "legal@example.no".into(),
        reason: "Revisjon av regnskapet".into(),
        created_ms: START_MS,
        expires_ms: START_MS + 10 * 86_400_000,
        released_ms: None,
        released_by: None,
        reminded_ms: None,
    };
    server.store.add_hold(&hold).await.unwrap();
    // A message sent 100 days ago: Kapsel's own data, gone after 90 days.
    server
        .store
        .enqueue(kapsel_store::NewMail {
            id: "old-mail".into(),
            created_ms: START_MS - 100 * 86_400_000,
            to_addr: "kari.nordmann@example.org".into(),
            subject: "s".into(),
            body_text: "b".into(),
            message_id: "<old-mail@kapsel.invalid>".into(),
            template: "verify-link".into(),
            case_id: None,
        })
        .await
        .unwrap();
    server
        .store
        .mark_sent("old-mail", START_MS - 100 * 86_400_000)
        .await
        .unwrap();
    let records = finished(&server.store).await;
    assert_eq!(page_views(&shop).await, RECENT);
    assert_eq!(verify_chain(&records), Ok(()));
    assert!(records.iter().all(|r| r.actor == "server"));
    assert!(records.iter().all(|r| r.detail["holder"] == "test-chain"));

    let metrics = server
        .client
        .get(format!("{}/metrics", server.ops_base.clone().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The recorder is the process's, shared by the tests running beside this one: the
    // counter holds at least this server's 3,000 (the records above are exact).
    let disposed: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("kapsel_retention_rows_disposed_total{rule=\"page-views\"} "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    assert!(disposed >= 3000.0, "{metrics}");
    for name in [
        "kapsel_retention_last_run_seconds{rule=\"page-views\"}",
        "kapsel_retention_next_run_seconds{rule=\"page-views\"}",
    ] {
        assert!(metrics.contains(name), "{name} in {metrics}");
    }

    // The hold ends within 14 days: its owner is reminded once, in the file's first language.
    let mut reminders = Vec::new();
    for _ in 0..100 {
        reminders = server
            .store
            .list(None, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.template == "hold-reminder")
            .collect();
        if !reminders.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = server.store.list(None, 100).await.unwrap();
    let reminders_later = all.iter().filter(|m| m.template == "hold-reminder").count();
    assert_eq!((reminders.len(), reminders_later), (1, 1), "reminded once");
    assert!(
        all.iter().all(|m| m.id != "old-mail"),
        "the old sent message is gone"
    );
    let own = server.store.disposals("kapsel-sent-mail").await.unwrap();
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0].count("rows_deleted"), 1);
    let mail = &reminders[0];
    assert_eq!(mail.to_addr, "legal@example.no");
    assert_eq!(
        mail.subject,
        "Sletteforbudet H-1 gjelder til og med 2026-02-10"
    );
    assert!(
        mail.body_text.contains("Revisjon av regnskapet"),
        "{}",
        mail.body_text
    );
    server.stop().await;
}

#[tokio::test]
async fn two_servers_on_one_store_never_run_the_same_rule_at_once() {
    let Some(schema) = kapsel_testkit::PgSchema::create("retention_two_servers").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::create(&dir.path().join("shop.db"), 0).await;
    shop.add_page_views(EXPIRED, RECENT, START).await;
    let mut servers = Vec::new();
    for chain in ["chain-a", "chain-b"] {
        let store = Store::open_postgres_with(schema.options()).await.unwrap();
        let kept = tempfile::tempdir().unwrap();
        servers.push(
            TestServer::launch_on(store, kept, chain, privacy(), false, adjust(shop.url())).await,
        );
    }
    finished(&servers[0].store).await;
    assert_eq!(page_views(&shop).await, RECENT);
    // Both take turns with the rule (each round of the one that holds the lease ends by
    // releasing it), until each has run it at least once.
    for _ in 0..200 {
        let records = servers[0].store.disposals("page-views").await.unwrap();
        let holders: std::collections::BTreeSet<&str> = records
            .iter()
            .filter(|r| r.kind == DisposalKind::RunStarted)
            .map(|r| r.detail["holder"].as_str())
            .collect();
        if holders.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for server in servers {
        server.stop().await;
    }
    let records = Store::open_postgres_with(schema.options())
        .await
        .unwrap()
        .disposals("page-views")
        .await
        .unwrap();
    assert_eq!(verify_chain(&records), Ok(()));
    // Runs in the one chain follow each other: a run_started only after the run before it
    // ended, and one holder from a run's start to its end.
    let mut open: Option<&str> = None;
    for record in &records {
        let holder = record.detail["holder"].as_str();
        match record.kind {
            DisposalKind::RunStarted => {
                assert_eq!(
                    open, None,
                    "record {}: a run started inside another",
                    record.seq
                );
                open = Some(holder);
            }
            DisposalKind::RunFinished | DisposalKind::RunStopped => {
                assert_eq!(
                    open.take().unwrap_or(holder),
                    holder,
                    "record {}",
                    record.seq
                );
            }
            _ => assert_eq!(open, Some(holder), "record {}: outside its run", record.seq),
        }
    }
    let holders: std::collections::BTreeSet<&str> = records
        .iter()
        .filter(|r| r.kind == DisposalKind::RunStarted)
        .map(|r| r.detail["holder"].as_str())
        .collect();
    assert_eq!(
        holders.len(),
        2,
        "both ran the rule, one at a time: {holders:?}"
    );
    let deleted: u64 = records
        .iter()
        .filter(|r| r.kind == DisposalKind::BatchDone)
        .map(|r| r.count("rows_deleted"))
        .sum();
    assert_eq!(deleted, EXPIRED as u64, "every expired row deleted once");
    schema.drop_schema().await;
}

#[tokio::test]
async fn a_legal_hold_on_the_requester_or_the_dataset_stops_the_desks_erasure() {
    use super::desk_work::{KEY, admin, admin_ok, server, shop, verified_request};
    use serde_json::json;

    let shop = shop().await;
    let server = server(&shop, None).await;
    let id = verified_request(
        &server,
        "nb",
        "right=erasure&email=kari.nordmann%40example.org",
    )
    .await;
    let before = shop.rows().await;
    let kari = kapsel_connect::keyed_hash(
        KEY.as_bytes(),
        &kapsel_core::retention::hold::identifier_text("email", "Kari.Nordmann@example.org "),
    );
    for (hold, scope) in [
        (
            "H-subject",
            HoldScope::Subject {
                hashes: vec![kari],
                case_id: None,
            },
        ),
        (
            "H-dataset",
            HoldScope::Dataset {
                dataset: "shop".into(),
            },
        ),
    ] {
        server
            .store
            .add_hold(&Hold {
                id: hold.into(),
                scope,
                owner: "legal@example.no".into(),
                reason: "Tvist om en faktura".into(),
                created_ms: START_MS,
                expires_ms: START_MS + 30 * 86_400_000,
                released_ms: None,
                released_by: None,
                reminded_ms: None,
            })
            .await
            .unwrap();
        let refused = admin(&server, "POST", &format!("{id}/run"), json!({})).await;
        let body = kapsel_testkit::assert_problem(refused, 409, &format!("holds.{hold}")).await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("17(3)(e)"),
            "{body}"
        );
        assert_eq!(shop.rows().await, before, "nothing erased under {hold}");
        let events = kapsel_store::CaseStore::events(&server.store, &id)
            .await
            .unwrap();
        assert!(
            !events
                .iter()
                .any(|e| matches!(e.kind, kapsel_core::desk::CaseEventKind::Step { .. })),
            "nothing recorded under {hold}"
        );
        server
            .store
            .release_hold(hold, "lead", START_MS + 1)
            .await
            .unwrap();
    }
    let report = admin_ok(&server, "POST", &format!("{id}/run"), json!({})).await;
    assert_eq!(
        report["steps"].as_array().map(Vec::len),
        Some(3),
        "{report}"
    );
    assert_ne!(shop.rows().await, before);
    server.stop().await;
}

#[tokio::test]
async fn an_anonymising_rule_goes_on_round_after_round_where_the_last_round_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::create(&dir.path().join("shop.db"), 0).await;
    shop.add_page_views(EXPIRED, RECENT, START).await;
    let source = format!("{}{PAGE_VIEWS_DECLARATION}", shop_privacy_source(false)).replace(
        "action = \"delete\"",
        "action = { anonymise = { ip = \"ip_prefix\" } }",
    );
    let privacy = kapsel_core::privacy::load(&source, "kapsel.toml").unwrap();
    let url = shop.url();
    let server = TestServer::launch(privacy, false, move |config| {
        adjust(url)(config);
        // Three batches of 250 a round: twelve batches take four rounds.
        config.retention.options.max_batches = Some(3);
    })
    .await;
    let left_sql =
        format!("SELECT COUNT(*) FROM page_views WHERE id <= {EXPIRED} AND ip NOT LIKE '%.0'");
    let mut left = -1;
    for _ in 0..600 {
        left = sqlx::query_scalar(&left_sql)
            .fetch_one(&shop.pool)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "every expired row anonymised");
    let kept: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM page_views WHERE id > {EXPIRED} AND ip = '192.0.2.' || (id % 250)"
    ))
    .fetch_one(&shop.pool)
    .await
    .unwrap();
    assert_eq!(kept, RECENT, "every recent row as it was");
    let records = server.store.disposals("page-views").await.unwrap();
    let stops = records
        .iter()
        .filter(|r| r.detail.get("reason").map(String::as_str) == Some("batch_limit"))
        .count();
    assert!(stops >= 3, "it took several rounds: {stops} stops");
    let anonymised: u64 = records
        .iter()
        .filter(|r| r.kind == DisposalKind::BatchDone)
        .map(|r| r.count("rows_anonymised"))
        .sum();
    // Every 250th address already ends in .0 and is left as it is.
    assert_eq!(
        anonymised,
        (EXPIRED - EXPIRED / 250) as u64,
        "each row anonymised once"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_server_prunes_the_consent_ledger_once_its_proof_period_has_passed() {
    use kapsel_store::LedgerPrune;

    let server = TestServer::start_with(|config| {
        config.retention.every = Some(Duration::from_millis(100));
        config.retention.ledger_proof = Some("3 years".parse().unwrap());
    })
    .await;
    for _ in 0..3 {
        let response = server.post_consent(&server.valid_body()).await;
        assert!(response.status().is_success());
    }
    // The first round (at start) found nothing to remove; five years on, the next daily prune
    // removes every record but the chain's head and seals them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(server.store.seals("test-chain").await.unwrap().is_empty());
    server.clock.advance(5 * 366 * 86_400_000);
    let mut seals = Vec::new();
    for _ in 0..100 {
        seals = server.store.seals("test-chain").await.unwrap();
        if !seals.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seals.len(), 1, "one seal");
    assert_eq!(seals[0].size, 2, "records 1..2 removed, the head kept");
    server.stop().await;
}
