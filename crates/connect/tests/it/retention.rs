//! Retention rules on every engine: 55 fictional visits, one a day from 1 January 2026 at
//! noon, checked on 1 March 2026 at noon with a 30-day period, so exactly the first 29 have
//! expired. Rows are compared one by one with what they must hold; batches are small (7 rows)
//! so that a run crosses many batch boundaries.

use std::collections::{BTreeMap, BTreeSet};

use kapsel_connect::{
    Batch, BatchOutcome, Connection, DatasetSpec, Engine, SubjectHolds, keyed_hash, next_batch,
    retention_plan, run_batch,
};
use kapsel_core::privacy::RetentionRule;

use crate::{Db, KEY, shops};

const SPEC: &str = r#"
id = "shop"
connection = "shop_db"
engine = "sqlite"

[[tables]]
name = "customers"
primary_key = "id"
identity = { email = "email" }
[tables.fields]
email = { category = "contact", activity = "orders", erasure = "keyed_hash" }

[[tables]]
name = "visits"
primary_key = "id"
belongs_to = [{ column = "customer_id", table = "customers", references = "id" }]
[tables.fields]
ip = { category = "traffic", activity = "statistics", erasure = "delete_row" }
"#;

/// 1 March 2026, 12:00 UTC, minus 30 days: 30 January 2026, 12:00 UTC.
const CUTOFF_MS: i64 = 1_769_774_400_000;
const EXPIRED: usize = 29;
const VISITS: usize = 55;
const COLUMNS: &[&str] = &[
    "id",
    "customer_id",
    "visited_at",
    "status",
    "ip",
    "contact",
    "postcode",
    "born",
];

fn ddl(engine: Engine) -> Vec<String> {
    let (ts, date, ip) = match engine {
        Engine::Postgres => ("TIMESTAMPTZ", "DATE", "INET"),
        Engine::Mysql => ("DATETIME(3)", "DATE", "VARCHAR(45)"),
        _ => ("TEXT", "TEXT", "TEXT"),
    };
    let mut out = vec![format!(
        "CREATE TABLE visits (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, \
         visited_at {ts} NOT NULL, status VARCHAR(16), ip {ip}, contact VARCHAR(255), \
         postcode VARCHAR(8), born {date})"
    )];
    out.push("CREATE INDEX visits_at ON visits (visited_at)".into());
    let zone = if engine == Engine::Postgres {
        "+00"
    } else {
        ""
    };
    let rows: Vec<String> = (0..VISITS)
        .map(|i| {
            let (month, day) = if i < 31 { (1, i + 1) } else { (2, i - 30) };
            format!(
                "({}, {}, '2026-{month:02}-{day:02} 12:00:00{zone}', '{}', '192.0.2.{}', \
                 'visitor{i}@example.no', '{}', '19{}-05-17')",
                1000 + i,
                1 + i % 3,
                if i % 2 == 0 { "closed" } else { "open" },
                i + 1,
                7000 + i,
                60 + i % 30,
            )
        })
        .collect();
    out.push(format!("INSERT INTO visits VALUES {}", rows.join(", ")));
    out
}

fn rule(action: &str, filter: &str) -> RetentionRule {
    toml::from_str(&format!(
        "id = \"visits\"\nactivity = \"statistics\"\ndataset = \"shop\"\ntable = \"visits\"\n\
         timestamp = \"visited_at\"\nperiod = \"30 days\"\nground = \"Not needed after a month.\"\n\
         action = {action}\n{filter}"
    ))
    .unwrap()
}

fn spec(engine: Engine) -> DatasetSpec {
    let mut spec: DatasetSpec = toml::from_str(SPEC).unwrap();
    spec.engine = engine;
    spec
}

/// Runs `rule` to its end in batches of 7; the batches' outcomes summed, and how many batches.
async fn run_all(
    conn: &Connection,
    spec: &DatasetSpec,
    rule: &RetentionRule,
    holds: &SubjectHolds,
) -> (BatchOutcome, usize) {
    let mut total = BatchOutcome::default();
    let mut after = None;
    let mut batches = 0;
    while let Some(batch) = next_batch(conn, spec, rule, CUTOFF_MS, after.as_ref(), 7)
        .await
        .unwrap()
    {
        assert!(batch.rows <= 7);
        let done = run_batch(conn, spec, rule, CUTOFF_MS, &batch, holds, KEY)
            .await
            .unwrap();
        total.deleted += done.deleted;
        total.anonymised += done.anonymised;
        total.unchanged += done.unchanged;
        total.held += done.held;
        after = Some(batch.through);
        batches += 1;
    }
    (total, batches)
}

async fn visits(db: &Db) -> BTreeMap<String, Vec<Option<String>>> {
    db.snapshot_of(&[("visits", COLUMNS)])
        .await
        .remove("visits")
        .unwrap()
}

fn id(i: usize) -> String {
    (1000 + i).to_string()
}

#[tokio::test]
async fn expired_rows_are_deleted_exactly_and_the_dry_run_counts_them() {
    for db in shops("retention_delete").await {
        let engine = db.engine();
        for sql in ddl(engine) {
            db.exec(&sql).await;
        }
        let spec = spec(engine);
        let before = visits(&db).await;
        let closed = rule("\"delete\"", "filter = { status = \"closed\" }");
        let plan = retention_plan(
            &db.conn,
            &spec,
            &closed,
            CUTOFF_MS,
            &SubjectHolds::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            (plan.table_rows, plan.expired, plan.held),
            (55, 15, 0),
            "{engine:?}"
        );
        assert!(
            plan.oldest
                .as_deref()
                .is_some_and(|o| o.starts_with("2026-01-01")),
            "{plan:?}"
        );
        let (done, batches) = run_all(&db.conn, &spec, &closed, &SubjectHolds::default()).await;
        assert_eq!((done.deleted, batches), (15, 3), "{engine:?}");
        let after = visits(&db).await;
        let gone: BTreeSet<String> = (0..EXPIRED).filter(|i| i % 2 == 0).map(id).collect();
        for (key, row) in &before {
            if gone.contains(key) {
                assert!(!after.contains_key(key), "{engine:?}: {key} is still there");
            } else {
                assert_eq!(after.get(key), Some(row), "{engine:?}: {key} changed");
            }
        }
        // Every expired row, with no filter; then nothing is left to do.
        let all = rule("\"delete\"", "");
        let (done, _) = run_all(&db.conn, &spec, &all, &SubjectHolds::default()).await;
        assert_eq!(done.deleted, 14, "{engine:?}");
        let left = visits(&db).await;
        assert_eq!(left.len(), VISITS - EXPIRED, "{engine:?}");
        assert!((EXPIRED..VISITS).all(|i| left.get(&id(i)) == before.get(&id(i))));
        let (again, batches) = run_all(&db.conn, &spec, &all, &SubjectHolds::default()).await;
        assert_eq!((again.deleted, batches), (0, 0), "{engine:?}");
        db.finish().await;
    }
}

#[tokio::test]
async fn expired_rows_are_anonymised_as_declared_held_ones_kept_and_a_rerun_changes_nothing() {
    for db in shops("retention_anonymise").await {
        let engine = db.engine();
        for sql in ddl(engine) {
            db.exec(&sql).await;
        }
        let spec = spec(engine);
        let before = visits(&db).await;
        let anonymise = rule(
            "{ anonymise = { ip = \"ip_prefix\", contact = \"keyed_hash\", postcode = \
             \"postcode_prefix\", born = \"year\", status = \"null\" } }",
            "",
        );
        // Kari (customer 1, found through the customers table) is under a legal hold.
        let holds = SubjectHolds {
            hashes: BTreeSet::from([keyed_hash(KEY, "email:kari@example.no")]),
            key: KEY.to_vec(),
        };
        let karis: BTreeSet<String> = (0..EXPIRED).filter(|i| i % 3 == 0).map(id).collect();
        let plan = retention_plan(&db.conn, &spec, &anonymise, CUTOFF_MS, &holds)
            .await
            .unwrap();
        assert_eq!(
            (plan.expired, plan.held),
            (29, karis.len() as u64),
            "{engine:?}"
        );
        let (done, _) = run_all(&db.conn, &spec, &anonymise, &holds).await;
        assert_eq!(
            (done.anonymised, done.held, done.deleted),
            (29 - karis.len() as u64, karis.len() as u64, 0),
            "{engine:?}"
        );
        let after = visits(&db).await;
        for i in 0..VISITS {
            let (key, was, now) = (id(i), &before[&id(i)], &after[&id(i)]);
            if i >= EXPIRED || karis.contains(&key) {
                assert_eq!(now, was, "{engine:?}: {key} must be untouched");
                continue;
            }
            let text = |c: usize| now[c].clone().unwrap_or_default();
            assert_eq!(now[..3], was[..3], "{engine:?}: id, customer and time stay");
            assert_eq!(now[3], None, "{engine:?}: status nulled");
            assert!(
                text(4).starts_with("192.0.2.0"),
                "{engine:?}: ip {:?}",
                now[4]
            );
            assert_eq!(
                text(5),
                keyed_hash(KEY, &format!("visitor{i}@example.no")),
                "{engine:?}"
            );
            assert_eq!(text(6), "70", "{engine:?}");
            assert!(text(7).ends_with("-01-01"), "{engine:?}: born {:?}", now[7]);
        }
        let (again, _) = run_all(&db.conn, &spec, &anonymise, &holds).await;
        assert_eq!(
            (again.anonymised, again.unchanged),
            (0, 29 - karis.len() as u64),
            "{engine:?}: a rerun changes nothing"
        );
        assert_eq!(visits(&db).await, after, "{engine:?}");
        db.finish().await;
    }
}

#[tokio::test]
async fn a_batch_repeated_after_a_crash_processes_nothing_twice() {
    for db in shops("retention_repeat").await {
        let engine = db.engine();
        for sql in ddl(engine) {
            db.exec(&sql).await;
        }
        let spec = spec(engine);
        let all = rule("\"delete\"", "");
        let none = SubjectHolds::default();
        let first = next_batch(&db.conn, &spec, &all, CUTOFF_MS, None, 10)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.rows, 10);
        let done = run_batch(&db.conn, &spec, &all, CUTOFF_MS, &first, &none, KEY)
            .await
            .unwrap();
        assert_eq!(done.deleted, 10);
        // The same range again, as after a crash before its outcome was recorded.
        let again = run_batch(&db.conn, &spec, &all, CUTOFF_MS, &first, &none, KEY)
            .await
            .unwrap();
        assert_eq!(again.deleted, 0, "{engine:?}");
        let next: Batch = next_batch(&db.conn, &spec, &all, CUTOFF_MS, Some(&first.through), 100)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(next.rows, 19, "{engine:?}: the rest, none missed");
        db.finish().await;
    }
}

#[tokio::test]
async fn a_partitioned_postgres_table_loses_exactly_its_expired_partitions() {
    for db in shops("retention_partitions").await {
        if db.engine() != Engine::Postgres {
            db.finish().await;
            continue;
        }
        db.exec(
            "CREATE TABLE visits (id BIGINT NOT NULL, customer_id BIGINT NOT NULL, \
             visited_at TIMESTAMPTZ NOT NULL, status VARCHAR(16), ip INET, contact VARCHAR(255), \
             postcode VARCHAR(8), born DATE) PARTITION BY RANGE (visited_at)",
        )
        .await;
        for (name, from, to) in [
            ("visits_2025_12", "2025-12-01", "2026-01-01"),
            ("visits_2026_01", "2026-01-01", "2026-02-01"),
            ("visits_2026_02", "2026-02-01", "2026-03-01"),
            ("visits_2026_03", "2026-03-01", "2026-04-01"),
        ] {
            db.exec(&format!(
                "CREATE TABLE {name} PARTITION OF visits FOR VALUES FROM ('{from} 00:00:00+00') \
                 TO ('{to} 00:00:00+00')"
            ))
            .await;
        }
        db.exec(
            "INSERT INTO visits (id, customer_id, visited_at) SELECT g, 1 + g % 3, \
             TIMESTAMPTZ '2025-12-01 00:00:00+00' + g * INTERVAL '1 hour' FROM \
             generate_series(0, 2903) g",
        )
        .await;
        let spec = spec(Engine::Postgres);
        let rule = rule("\"drop_partitions\"", "");
        // 1 February 2026 00:00 UTC: December and January have ended.
        let cutoff = 1_769_904_000_000;
        let none = SubjectHolds::default();
        let found = kapsel_connect::expired_partitions(&db.conn, &spec, &rule, cutoff, &none)
            .await
            .unwrap();
        let names: Vec<&str> = found.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["visits_2025_12", "visits_2026_01"]);
        assert_eq!(found.iter().map(|p| p.rows).sum::<u64>(), 31 * 24 * 2);
        let kept = db.snapshot_of(&[("visits", &["id", "visited_at"])]).await;
        let kept: Vec<_> = kept["visits"]
            .iter()
            .filter(|(id, _)| id.parse::<u64>().unwrap() >= 31 * 24 * 2)
            .map(|(id, row)| (id.clone(), row.clone()))
            .collect();
        // Kari's hold keeps a partition with any of her rows whole.
        let karis = SubjectHolds {
            hashes: BTreeSet::from([keyed_hash(KEY, "email:kari@example.no")]),
            key: KEY.to_vec(),
        };
        let held = kapsel_connect::expired_partitions(&db.conn, &spec, &rule, cutoff, &karis)
            .await
            .unwrap();
        assert_eq!(
            held.iter().map(|p| p.held).collect::<Vec<_>>(),
            [0, 0],
            "no identity column of its own"
        );
        for partition in &found {
            let rows = kapsel_connect::drop_partition(&db.conn, &spec, &rule, &partition.name)
                .await
                .unwrap();
            assert_eq!(rows, partition.rows);
            let again = kapsel_connect::drop_partition(&db.conn, &spec, &rule, &partition.name)
                .await
                .unwrap();
            assert_eq!(again, 0, "a repeated drop finds nothing");
        }
        let after = db.snapshot_of(&[("visits", &["id", "visited_at"])]).await;
        let after: Vec<_> = after["visits"].clone().into_iter().collect();
        assert_eq!(after, kept, "the partitions after the cutoff are untouched");
        assert!(
            kapsel_connect::expired_partitions(&db.conn, &spec, &rule, cutoff, &none)
                .await
                .unwrap()
                .is_empty()
        );
        db.finish().await;
    }
}
