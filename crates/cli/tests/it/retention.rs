//! `kapsel retention` on a real SQLite shop with 120,000 page views, 80,000 of them older than
//! the web-analytics activity's 25 months: the dry run counts them; the run stops at the safety
//! limit (two thirds of the table) until `--confirm`; a rule hold stops it; and a run killed
//! with SIGKILL in the middle of its batches is finished by the next one — every expired row
//! gone, every newer row untouched, each batch recorded once, the records adding up to exactly
//! the expired rows and verifying as a chain.

use std::process::{Command, Stdio};
use std::time::Duration;

use kapsel_testkit::{PAGE_VIEWS_DECLARATION, Shop, shop_privacy_source};
use sqlx::sqlite::SqlitePool;

use super::harness::{KAPSEL, kapsel};

const EXPIRED: i64 = 80_000;
const RECENT: i64 = 40_000;

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn count(pool: &SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// A checksum of the rows that must never change.
async fn recent_checksum(pool: &SqlitePool) -> (i64, i64) {
    sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(id * length(viewed_at || ip)), 0) FROM page_views \
         WHERE viewed_at >= datetime('now', '-2 days')",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_run_killed_mid_batch_is_finished_by_the_next_and_the_records_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kapsel.toml");
    std::fs::write(
        &config,
        format!("{}{PAGE_VIEWS_DECLARATION}", shop_privacy_source(false)),
    )
    .unwrap();
    let shop = Shop::create(&dir.path().join("shop.db"), 0).await;
    // SQLite's `now` is the clock the command reads too.
    shop.add_page_views(EXPIRED, RECENT, "now").await;
    let before = recent_checksum(&shop.pool).await;
    assert_eq!(before.0, RECENT);
    let data = dir.path().join("data");
    let settings = dir.path().join("settings.toml");
    std::fs::write(
        &settings,
        format!(
            "[store]\ndata = {:?}\n[connectors.shop]\nurl = {:?}\n[jobs]\n\
             retention_batch_rows = 1000\nretention_pause_ms = 30\nretention_lease_seconds = 2\n",
            data.display().to_string(),
            shop.url()
        ),
    )
    .unwrap();
    let args = |rest: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = rest.iter().map(|s| s.to_string()).collect();
        all.push("--settings".into());
        all.push(settings.display().to_string());
        all
    };
    let file = config.display().to_string();
    let migrate = kapsel(&args(&["migrate"]));
    assert!(migrate.status.success(), "{}", text(&migrate));

    let plan = kapsel(&args(&["retention", "plan", &file]));
    let out = text(&plan);
    assert!(plan.status.success(), "{out}");
    assert!(out.contains("page-views") && out.contains("80000"), "{out}");
    assert!(out.contains("over the safety limit"), "{out}");

    let refused = kapsel(&args(&["retention", "run", &file, "--rule", "page-views"]));
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("--confirm"), "{}", text(&refused));
    assert_eq!(
        count(&shop.pool, "SELECT COUNT(*) FROM page_views").await,
        EXPIRED + RECENT
    );

    let hold = kapsel(&args(&[
        "retention",
        "hold",
        "add",
        &file,
        "--rule",
        "page-views",
        "--owner",
        "legal@example.no",
        "--reason",
        "Audit of the statistics",
        "--until",
        "2999-12-31",
    ]));
    assert!(hold.status.success(), "{}", text(&hold));
    // A hold on a rule the file does not have would keep nothing: refused, naming it.
    let typo = kapsel(&args(&[
        "retention",
        "hold",
        "add",
        &file,
        "--rule",
        "page-view",
        "--owner",
        "legal@example.no",
        "--reason",
        "Audit",
        "--until",
        "2999-12-31",
    ]));
    assert_eq!(typo.status.code(), Some(1), "{}", text(&typo));
    assert!(
        text(&typo).contains("--rule") && text(&typo).contains("page-view"),
        "{}",
        text(&typo)
    );
    let id = text(&hold).split(':').next().unwrap().trim().to_owned();
    let held = kapsel(&args(&["retention", "run", &file, "--confirm"]));
    assert!(text(&held).contains("legal hold"), "{}", text(&held));
    assert_eq!(
        count(&shop.pool, "SELECT COUNT(*) FROM page_views").await,
        EXPIRED + RECENT
    );
    let release = kapsel(&args(&[
        "retention",
        "hold",
        "release",
        &id,
        "--by",
        "lead",
    ]));
    assert!(release.status.success(), "{}", text(&release));

    // The run, killed once a few batches are recorded.
    let store = SqlitePool::connect(&format!("sqlite://{}", data.join("kapsel.db").display()))
        .await
        .unwrap();
    let mut child = Command::new(KAPSEL)
        .args(args(&[
            "retention",
            "run",
            &file,
            "--rule",
            "page-views",
            "--confirm",
        ]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let done_sql = "SELECT COUNT(*) FROM retention_records WHERE rule = 'page-views' \
                    AND kind = 'batch_done'";
    let last_sql = "SELECT kind FROM retention_records WHERE rule = 'page-views' \
                    ORDER BY seq DESC LIMIT 1";
    let mut waited = 0;
    // Killed after five batches, preferably while one is between its start and its outcome.
    loop {
        let last: Option<String> = sqlx::query_scalar(last_sql)
            .fetch_optional(&store)
            .await
            .unwrap();
        if count(&store, done_sql).await >= 5 && last.as_deref() == Some("batch_started") {
            break;
        }
        waited += 1;
        assert!(waited < 6000, "the run recorded no batches within a minute");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = count(&shop.pool, "SELECT COUNT(*) FROM page_views").await;
    assert!(
        left < EXPIRED + RECENT && left > RECENT,
        "killed mid-run: {left} rows left"
    );

    // The killed run's lease lapses two seconds after its last batch; until then another run
    // skips the rule.
    let early = kapsel(&args(&[
        "retention",
        "run",
        &file,
        "--rule",
        "page-views",
        "--confirm",
    ]));
    assert!(text(&early).contains("lease"), "{}", text(&early));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let finish = kapsel(&args(&[
        "retention",
        "run",
        &file,
        "--rule",
        "page-views",
        "--confirm",
    ]));
    assert!(finish.status.success(), "{}", text(&finish));
    eprintln!("after the kill: {}", text(&finish));
    assert_eq!(
        count(&shop.pool, "SELECT COUNT(*) FROM page_views").await,
        RECENT
    );
    assert_eq!(
        recent_checksum(&shop.pool).await,
        before,
        "no newer row changed"
    );

    // Every batch recorded once: each started batch is done exactly once, and the done
    // batches' deletions add up to the expired rows.
    let started = count(
        &store,
        "SELECT COUNT(*) FROM retention_records WHERE rule = 'page-views' AND kind = 'batch_started'",
    )
    .await;
    assert_eq!(count(&store, done_sql).await, started);
    let deleted: i64 = sqlx::query_scalar(
        "SELECT SUM(CAST(json_extract(detail, '$.rows_deleted') AS INTEGER)) FROM \
         retention_records WHERE rule = 'page-views' AND kind = 'batch_done'",
    )
    .fetch_one(&store)
    .await
    .unwrap();
    assert_eq!(deleted, EXPIRED);
    let records = kapsel(&args(&["retention", "records", "--rule", "page-views"]));
    let out = text(&records);
    assert!(records.status.success(), "{out}");
    assert!(
        out.contains("chain verifies") && out.contains("run_finished"),
        "{out}"
    );
    // The export: one JSON line per record, each with its hash, the chain recomputable.
    let export = kapsel(&args(&[
        "retention",
        "records",
        "--rule",
        "page-views",
        "--json",
    ]));
    assert!(export.status.success(), "{}", text(&export));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len() as i64,
        count(
            &store,
            "SELECT COUNT(*) FROM retention_records WHERE rule = 'page-views'"
        )
        .await
    );
    assert!(
        lines
            .iter()
            .all(|l| l["hash"].as_str().is_some_and(|h| h.len() == 64))
    );
    assert_eq!(
        lines[0]["kind"], "run_stopped",
        "the safety limit came first"
    );
    // An edited record is found.
    sqlx::query(
        "UPDATE retention_records SET detail = replace(detail, '1000', '999') WHERE seq = 5",
    )
    .execute(&store)
    .await
    .unwrap();
    let tampered = kapsel(&args(&["retention", "records", "--rule", "page-views"]));
    assert_eq!(tampered.status.code(), Some(1), "{}", text(&tampered));
    assert!(
        text(&tampered).contains("CHAIN BROKEN"),
        "{}",
        text(&tampered)
    );
}
