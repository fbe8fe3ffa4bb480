//! `kill -9` of the real server in the middle of an erasure: a requester with 200,000 bookings
//! in a SQLite shop, the run started through the admin API, the server killed as soon as the
//! case records `erasure_started`. The shop's transaction never committed, so nothing is
//! erased; after a restart the server's sweep resumes the erasure by itself, which ends
//! consistent — the requester's bookings gone, the other customer untouched, `erasure_started`
//! once, `erased` once with `resumed`, the history a verifying chain. Then the acting terminal
//! commands complete the case through the same server.

use std::time::Duration;

use kapsel_testkit::{Shop, shop_privacy_source};
use serde_json::{Value, json};

use super::harness::{Server, kapsel};

const TOKEN: &str = "admin-token-for-tests-only-0123456789";
const KEY: &str = "desk-key-for-tests-only-0123456789abcdef";
const BOOKINGS: u32 = 200_000;

async fn admin(server: &Server, method: &str, path: &str, body: Value) -> Value {
    let client = reqwest::Client::new();
    let url = server.url(&format!("/v1/admin/cases{path}"));
    let request = match method {
        "GET" => client.get(url),
        _ => client.post(url).json(&body),
    };
    let response = request.bearer_auth(TOKEN).send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {text}");
    serde_json::from_str(&text).unwrap()
}

fn actions(case: &Value, action: &str) -> Vec<Value> {
    case["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == action)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_server_killed_mid_erasure_resumes_it_and_ends_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kapsel.toml");
    std::fs::write(&config, shop_privacy_source(false)).unwrap();
    let shop = Shop::create(&dir.path().join("shop.db"), BOOKINGS).await;
    let data = dir.path().join("data");
    let flags = vec!["--data".to_owned(), data.display().to_string()];
    let url = shop.url();
    let env = [
        ("KAPSEL_ADMIN__TOKEN", TOKEN),
        ("KAPSEL_DESK__KEY", KEY),
        ("KAPSEL_CONNECTORS__SHOP__URL", url.as_str()),
    ];
    let config = config.display().to_string();

    let first = Server::start_with_env(&config, &flags, &env);
    first.wait_healthy().await;
    let response = reqwest::Client::new()
        .post(first.url("/sites/www/rights?lang=nb"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("right=erasure&email=kari.nordmann%40example.org&customer-no=K-1001")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let listed = admin(&first, "GET", "", Value::Null).await;
    let id = listed["cases"][0]["id"].as_str().unwrap().to_owned();
    admin(
        &first,
        "POST",
        &format!("/{id}/verify"),
        json!({ "note": "ID shown at the counter" }),
    )
    .await;

    // Start the run and kill the server once the erasure has started, before it commits.
    let run_url = first.url(&format!("/v1/admin/cases/{id}/run"));
    let run = tokio::spawn(async move {
        reqwest::Client::new()
            .post(run_url)
            .bearer_auth(TOKEN)
            .json(&json!({}))
            .send()
            .await
    });
    let mut started = false;
    for _ in 0..2000 {
        let case = admin(&first, "GET", &format!("/{id}"), Value::Null).await;
        assert!(
            actions(&case, "erased").is_empty(),
            "the erasure finished before the kill; make the shop larger"
        );
        if !actions(&case, "erasure_started").is_empty() {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(started, "the erasure never started");
    first.kill_9();
    assert!(
        run.await.unwrap().is_err(),
        "the run's connection died with the server"
    );
    assert_eq!(
        shop.bookings_of(1).await,
        i64::from(BOOKINGS) + 2,
        "the shop's transaction never committed"
    );

    // After the restart the sweep resumes it.
    let second = Server::start_with_env(&config, &flags, &env);
    second.wait_healthy().await;
    let mut case = Value::Null;
    for _ in 0..600 {
        case = admin(&second, "GET", &format!("/{id}"), Value::Null).await;
        if !actions(&case, "erased").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let erased = actions(&case, "erased");
    assert_eq!(erased.len(), 1, "{case}");
    assert_eq!(erased[0]["result"]["resumed"], true);
    assert_eq!(actions(&case, "erasure_started").len(), 1);
    assert_eq!(actions(&case, "erasure_planned").len(), 1);
    assert_eq!(case["chain"]["verified"], true);
    assert_eq!(shop.bookings_of(1).await, 0, "Kari's bookings are erased");
    assert_eq!(shop.bookings_of(2).await, 1, "Ola's booking is untouched");
    let deleted = erased[0]["result"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == "bookings")
        .unwrap()["rows_deleted"]
        .as_u64()
        .unwrap();
    assert_eq!(
        deleted,
        u64::from(BOOKINGS) + 2,
        "nothing missed, nothing twice"
    );

    // The terminal completes it through the same server.
    let mut task = vec![
        "requests".to_owned(),
        "task".to_owned(),
        id.clone(),
        "archive".to_owned(),
    ];
    task.extend([
        "--note".to_owned(),
        "No folder.".to_owned(),
        "--url".to_owned(),
        second.base.clone(),
    ]);
    let mut complete = vec![
        "requests".to_owned(),
        "complete".to_owned(),
        id.clone(),
        "--url".to_owned(),
        second.base.clone(),
    ];
    for args in [&mut task, &mut complete] {
        args.extend(flags.clone());
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_kapsel"))
            .args(args.iter())
            .env("KAPSEL_ADMIN__TOKEN", TOKEN)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "kapsel {args:?}:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let case = admin(&second, "GET", &format!("/{id}"), Value::Null).await;
    assert_eq!(case["case"]["state"], "completed");
    // Without the token the terminal refuses before it sends anything.
    let output = kapsel(&[
        "requests".to_owned(),
        "run".to_owned(),
        id,
        "--url".to_owned(),
        second.base.clone(),
    ]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("[admin] token"));
    second.terminate();
}
