//! The connector engine on real databases: a fictional shop schema created per test on SQLite (a
//! temporary file), PostgreSQL (a fresh schema) and MariaDB (a fresh database), with three
//! fictional customers. Every case runs on every engine that is there; a missing server is a loud
//! skip (a failure under KAPSEL_REQUIRE_ALL=1).

// Test helpers: a failing unwrap or panic is a readable test failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::str::FromStr;

use kapsel_connect::{
    AccessResult, Connection, Correction, DatasetSpec, Engine, Error, Subject, access, check,
    erase, erasure_plan, rectify, rectify_preview,
};
use kapsel_core::Random as _;
use serde_json::{Value, json};
use sqlx::mysql::{MySqlConnectOptions, MySqlPool};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

mod it {
    mod erase_batched;
    mod retention;
}

const GROUND: &str = "bokføringsloven § 13: 5 years after the financial year";
const KEY: &[u8] = b"test-hmac-key-not-a-secret";

/// The shop's declaration; the engine is set per database.
const SPEC: &str = r#"
id = "shop"
connection = "shop_db"
engine = "sqlite"

[[tables]]
name = "customers"
primary_key = "id"
identity = { email = "email", phone = "phone", customer_no = "customer_no" }
[tables.fields]
customer_no = { category = "identifier", activity = "accounting", erasure = { hold = { ground = "bokføringsloven § 13: 5 years after the financial year" } } }
email = { category = "contact", activity = "orders", erasure = "keyed_hash" }
phone = { category = "contact", activity = "orders", erasure = "set_null" }
name = { category = "identity", activity = "orders", erasure = "set_null" }
city = { category = "address", activity = "orders", erasure = "set_null" }

[[tables]]
name = "orders"
primary_key = "id"
belongs_to = [{ column = "customer_id", table = "customers", references = "id" }]
[tables.fields]
placed_on = { category = "purchase", activity = "accounting", erasure = { hold = { ground = "bokføringsloven § 13: 5 years after the financial year" } } }
total_cents = { category = "purchase", activity = "accounting", erasure = { hold = { ground = "bokføringsloven § 13: 5 years after the financial year" } } }

[[tables]]
name = "order_lines"
primary_key = "id"
belongs_to = [{ column = "order_id", table = "orders", references = "id" }]
[tables.fields]
sku = { category = "purchase", activity = "accounting", erasure = { hold = { ground = "bokføringsloven § 13: 5 years after the financial year" } } }
quantity = { category = "purchase", activity = "accounting", erasure = { hold = { ground = "bokføringsloven § 13: 5 years after the financial year" } } }

[[tables]]
name = "newsletter_subscriptions"
primary_key = "id"
identity = { email = "email" }
[tables.fields]
email = { category = "contact", activity = "newsletter", erasure = "delete_row" }
topic = { category = "preferences", activity = "newsletter", erasure = "delete_row" }

[[tables]]
name = "support_tickets"
primary_key = "id"
belongs_to = [{ column = "customer_id", table = "customers", references = "id" }]
[tables.fields]
subject = { category = "correspondence", activity = "support", erasure = "delete_row" }
body = { category = "correspondence", activity = "support", erasure = "delete_row" }
"#;

const DDL: &[&str] = &[
    "CREATE TABLE customers (id BIGINT PRIMARY KEY, customer_no VARCHAR(32) NOT NULL, \
     email VARCHAR(255), phone VARCHAR(32), name VARCHAR(255), city VARCHAR(255))",
    "CREATE INDEX customers_email ON customers (email)",
    "CREATE INDEX customers_no ON customers (customer_no)",
    "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, \
     placed_on VARCHAR(10) NOT NULL, total_cents BIGINT NOT NULL, \
     FOREIGN KEY (customer_id) REFERENCES customers (id))",
    "CREATE TABLE order_lines (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL, \
     sku VARCHAR(32) NOT NULL, quantity BIGINT NOT NULL, FOREIGN KEY (order_id) REFERENCES orders (id))",
    "CREATE TABLE newsletter_subscriptions (id BIGINT PRIMARY KEY, email VARCHAR(255) NOT NULL, \
     topic VARCHAR(64) NOT NULL)",
    "CREATE TABLE support_tickets (id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, \
     subject VARCHAR(255) NOT NULL, body VARCHAR(2000), \
     FOREIGN KEY (customer_id) REFERENCES customers (id))",
    "INSERT INTO customers VALUES \
     (1, 'K-1001', 'kari@example.no', '+4740000001', 'Kari Nordmann', 'Bergen'), \
     (2, 'K-1002', 'ola@example.no', '+4740000002', 'Ola Nordmann', 'Oslo'), \
     (3, 'K-1003', 'per@example.no', NULL, 'Per Hansen', 'Tromsø')",
    "INSERT INTO orders VALUES (10, 1, '2026-01-05', 12900), (11, 1, '2026-02-10', 4500), \
     (12, 2, '2026-01-07', 9900), (13, 3, '2026-03-01', 100)",
    "INSERT INTO order_lines VALUES (100, 10, 'SKU-A', 1), (101, 10, 'SKU-B', 2), \
     (102, 11, 'SKU-C', 1), (103, 12, 'SKU-A', 3), (104, 13, 'SKU-D', 1)",
    "INSERT INTO newsletter_subscriptions VALUES (200, 'kari@example.no', 'weekly'), \
     (201, 'ola@example.no', 'weekly'), (202, 'per@example.no', 'offers')",
    "INSERT INTO support_tickets VALUES (300, 1, 'Levering', 'Pakken kom ikke'), \
     (301, 2, 'Faktura', 'Feil beløp'), (302, 1, 'Retur', NULL)",
];

/// Every table's columns, for the snapshots.
const TABLES: &[(&str, &[&str])] = &[
    (
        "customers",
        &["id", "customer_no", "email", "phone", "name", "city"],
    ),
    ("orders", &["id", "customer_id", "placed_on", "total_cents"]),
    ("order_lines", &["id", "order_id", "sku", "quantity"]),
    ("newsletter_subscriptions", &["id", "email", "topic"]),
    ("support_tickets", &["id", "customer_id", "subject", "body"]),
];

/// Kari's rows (the requester) per table, by id.
fn karis_ids(table: &str) -> &'static [&'static str] {
    match table {
        "customers" => &["1"],
        "orders" => &["10", "11"],
        "order_lines" => &["100", "101", "102"],
        "newsletter_subscriptions" => &["200"],
        "support_tickets" => &["300", "302"],
        _ => &[],
    }
}

/// Table → id → the row's columns as text.
type Snapshot = BTreeMap<String, BTreeMap<String, Vec<Option<String>>>>;

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(kapsel_testkit::PgSchema),
    Mysql { admin: MySqlPool, database: String },
}

struct Db {
    conn: Connection,
    spec: DatasetSpec,
    cleanup: Cleanup,
}

impl Db {
    fn engine(&self) -> Engine {
        self.conn.engine().declared()
    }

    async fn exec(&self, sql: &str) {
        match &self.conn {
            Connection::Postgres(p) => sqlx::query(sql).execute(p).await.map(drop),
            Connection::Mysql(p) => sqlx::query(sql).execute(p).await.map(drop),
            Connection::Sqlite(p) => sqlx::query(sql).execute(p).await.map(drop),
        }
        .unwrap_or_else(|e| panic!("{:?}: {sql}: {e}", self.engine()));
    }

    /// Every row of every table, each column as the engine renders it as text, by id.
    async fn snapshot(&self) -> Snapshot {
        self.snapshot_of(TABLES).await
    }

    /// Every row of `tables` (name, columns with `id` first), as [`Db::snapshot`] renders them.
    async fn snapshot_of(&self, tables: &[(&str, &[&str])]) -> Snapshot {
        let cast = if self.engine() == Engine::Mysql {
            "CHAR"
        } else {
            "TEXT"
        };
        let mut all = BTreeMap::new();
        for (table, columns) in tables {
            let list: Vec<String> = columns
                .iter()
                .map(|c| format!("CAST({c} AS {cast})"))
                .collect();
            let sql = format!("SELECT {} FROM {table} ORDER BY id", list.join(", "));
            let rows: Vec<Vec<Option<String>>> = match &self.conn {
                Connection::Postgres(p) => texts(sqlx::query(&sql).fetch_all(p).await.unwrap()),
                Connection::Mysql(p) => texts(sqlx::query(&sql).fetch_all(p).await.unwrap()),
                Connection::Sqlite(p) => texts(sqlx::query(&sql).fetch_all(p).await.unwrap()),
            };
            let by_id = rows
                .into_iter()
                .map(|r| (r[0].clone().unwrap(), r))
                .collect();
            all.insert(table.to_string(), by_id);
        }
        all
    }

    async fn finish(self) {
        match self.cleanup {
            Cleanup::Sqlite(_) => {}
            Cleanup::Postgres(schema) => schema.drop_schema().await,
            Cleanup::Mysql { admin, database } => {
                sqlx::query(&format!("DROP DATABASE {database}"))
                    .execute(&admin)
                    .await
                    .unwrap();
            }
        }
    }
}

fn texts<R: sqlx::Row>(rows: Vec<R>) -> Vec<Vec<Option<String>>>
where
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    rows.iter()
        .map(|row| (0..row.len()).map(|i| row.try_get(i).unwrap()).collect())
        .collect()
}

fn spec_for(engine: Engine) -> DatasetSpec {
    let mut spec: DatasetSpec = toml::from_str(SPEC).unwrap();
    spec.engine = engine;
    spec
}

/// The shop on every engine that is available here.
async fn shops(test: &str) -> Vec<Db> {
    let mut dbs = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("shop.db"))
        .create_if_missing(true)
        .foreign_keys(true);
    dbs.push(Db {
        conn: Connection::Sqlite(SqlitePool::connect_with(options).await.unwrap()),
        spec: spec_for(Engine::Sqlite),
        cleanup: Cleanup::Sqlite(dir),
    });
    if let Some(schema) = kapsel_testkit::PgSchema::create(test).await {
        let pool = PgPoolOptions::new()
            .connect_with(schema.options())
            .await
            .unwrap();
        dbs.push(Db {
            conn: Connection::Postgres(pool),
            spec: spec_for(Engine::Postgres),
            cleanup: Cleanup::Postgres(schema),
        });
    }
    let url = std::env::var("KAPSEL_TEST_MYSQL_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "mysql://root@127.0.0.1:3306/test".to_owned());
    match MySqlPool::connect(&url).await {
        Err(e) => kapsel_testkit::skip(
            &format!("{test} on MariaDB"),
            &format!("cannot connect to {url} ({e}); set KAPSEL_TEST_MYSQL_URL"),
        ),
        Ok(admin) => {
            let database = format!("kapsel_t_{:016x}", kapsel_core::OsRandom.next_u64());
            sqlx::query(&format!("CREATE DATABASE {database}"))
                .execute(&admin)
                .await
                .unwrap();
            let options = MySqlConnectOptions::from_str(&url)
                .unwrap()
                .database(&database);
            dbs.push(Db {
                conn: Connection::Mysql(MySqlPool::connect_with(options).await.unwrap()),
                spec: spec_for(Engine::Mysql),
                cleanup: Cleanup::Mysql { admin, database },
            });
        }
    }
    let engines: Vec<Engine> = dbs.iter().map(Db::engine).collect();
    eprintln!("{test}: running on {engines:?}");
    for db in &dbs {
        for sql in DDL {
            db.exec(sql).await;
        }
    }
    dbs
}

fn subject(pairs: &[(&str, &str)]) -> Subject {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One column of a table in an export.
fn column(result: &AccessResult, table: &str, field: &str) -> Vec<Value> {
    result
        .table(table)
        .unwrap()
        .rows
        .iter()
        .map(|r| r[field].clone())
        .collect()
}

#[tokio::test]
async fn access_exports_exactly_the_requesters_rows_following_relations() {
    for db in shops("access").await {
        let engine = db.engine();
        let by_email = access(
            &db.spec,
            &db.conn,
            &subject(&[("email", "kari@example.no")]),
        )
        .await
        .unwrap();
        let customers = &by_email.table("customers").unwrap().rows;
        assert_eq!(
            Value::Array(customers.iter().cloned().map(Value::Object).collect()),
            json!([{ "city": "Bergen", "customer_no": "K-1001", "email": "kari@example.no",
                     "name": "Kari Nordmann", "phone": "+4740000001" }]),
            "{engine:?}"
        );
        assert_eq!(
            column(&by_email, "orders", "placed_on"),
            [json!("2026-01-05"), json!("2026-02-10")],
            "{engine:?}"
        );
        assert_eq!(
            column(&by_email, "orders", "total_cents"),
            [json!("12900"), json!("4500")],
            "{engine:?}"
        );
        assert_eq!(
            column(&by_email, "order_lines", "sku"),
            [json!("SKU-A"), json!("SKU-B"), json!("SKU-C")],
            "{engine:?}"
        );
        assert_eq!(
            column(&by_email, "newsletter_subscriptions", "topic"),
            [json!("weekly")],
            "{engine:?}"
        );
        assert_eq!(
            column(&by_email, "support_tickets", "subject"),
            [json!("Levering"), json!("Retur")],
            "{engine:?}"
        );
        assert_eq!(
            column(&by_email, "support_tickets", "body"),
            [json!("Pakken kom ikke"), Value::Null],
            "{engine:?}"
        );
        assert_eq!(by_email.row_count(), 1 + 2 + 3 + 1 + 2, "{engine:?}");
        // Undeclared columns (the relation keys here) never leave the database.
        assert_eq!(
            by_email.table("orders").unwrap().columns,
            ["placed_on", "total_cents"]
        );
        assert_eq!(
            by_email.table("support_tickets").unwrap().columns,
            ["body", "subject"]
        );

        // The customer number alone finds the same customer and what hangs off it, but not the
        // newsletter, which only knows the address.
        let by_number = access(&db.spec, &db.conn, &subject(&[("customer_no", "K-1002")]))
            .await
            .unwrap();
        assert_eq!(
            column(&by_number, "customers", "name"),
            [json!("Ola Nordmann")],
            "{engine:?}"
        );
        assert_eq!(
            column(&by_number, "order_lines", "sku"),
            [json!("SKU-A")],
            "{engine:?}"
        );
        assert_eq!(
            column(&by_number, "support_tickets", "subject"),
            [json!("Faktura")],
            "{engine:?}"
        );
        assert!(
            by_number
                .table("newsletter_subscriptions")
                .unwrap()
                .rows
                .is_empty(),
            "{engine:?}"
        );

        // Someone unknown has nothing; a blank identifier finds nothing either.
        let nobody = access(
            &db.spec,
            &db.conn,
            &subject(&[("email", "nobody@example.no"), ("phone", "")]),
        )
        .await
        .unwrap();
        assert_eq!(nobody.row_count(), 0, "{engine:?}");

        // The live schema matches the declaration; the phone and the newsletter address lack
        // an index.
        let report = check(&db.spec, &db.conn).await.unwrap();
        assert!(report.is_usable(), "{engine:?}: {report:?}");
        assert_eq!(
            report.unindexed_identity,
            ["customers.phone", "newsletter_subscriptions.email"],
            "{engine:?}"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn check_reports_tables_and_columns_the_database_lacks() {
    for db in shops("check").await {
        let engine = db.engine();
        let mut spec = db.spec.clone();
        let mut extra: DatasetSpec = toml::from_str(
            r#"
            id = "x"
            connection = "x"
            engine = "sqlite"
            [[tables]]
            name = "wishlists"
            primary_key = "id"
            belongs_to = [{ column = "customer_id", table = "customers", references = "id" }]
            fields = { item = { category = "purchase", activity = "orders", erasure = "delete_row" } }
            "#,
        )
        .unwrap();
        spec.tables.append(&mut extra.tables);
        let fax = spec.tables[0].fields["phone"].clone();
        spec.tables[0].fields.insert("fax".into(), fax);
        let report = check(&spec, &db.conn).await.unwrap();
        assert!(!report.is_usable());
        assert_eq!(report.missing_tables, ["wishlists"], "{engine:?}");
        assert_eq!(report.missing_columns, ["customers.fax"], "{engine:?}");
        db.finish().await;
    }
}

#[tokio::test]
async fn erasure_does_what_the_dry_run_said_to_the_requester_only_and_once() {
    for db in shops("erasure").await {
        let engine = db.engine();
        let kari = subject(&[("email", "kari@example.no"), ("customer_no", "K-1001")]);
        let before = db.snapshot().await;

        let plan = erasure_plan(&db.spec, &db.conn, &kari).await.unwrap();
        assert_eq!(
            db.snapshot().await,
            before,
            "{engine:?}: the dry run changed something"
        );
        let counts: BTreeMap<&str, _> = plan.tables.iter().map(|t| (t.table.as_str(), t)).collect();
        let c = counts["customers"];
        assert_eq!(
            (c.rows_found, c.rows_updated, c.rows_held, c.rows_deleted),
            (1, 1, 1, 0),
            "{engine:?}"
        );
        assert_eq!(c.hold_grounds, [GROUND]);
        assert_eq!(
            c.set_null,
            BTreeMap::from([("city".into(), 1), ("name".into(), 1), ("phone".into(), 1)])
        );
        assert_eq!(c.keyed_hash, BTreeMap::from([("email".into(), 1)]));
        assert_eq!(
            (counts["orders"].rows_found, counts["orders"].rows_held),
            (2, 2),
            "{engine:?}"
        );
        assert_eq!(
            (
                counts["order_lines"].rows_found,
                counts["order_lines"].rows_held
            ),
            (3, 3),
            "{engine:?}"
        );
        assert_eq!(
            counts["newsletter_subscriptions"].rows_deleted, 1,
            "{engine:?}"
        );
        assert_eq!(counts["support_tickets"].rows_deleted, 2, "{engine:?}");
        assert!(counts["support_tickets"].hold_grounds.is_empty());
        // Children before the rows they reference.
        let order: Vec<&str> = plan.tables.iter().map(|t| t.table.as_str()).collect();
        let at = |t: &str| order.iter().position(|o| *o == t).unwrap();
        assert!(
            at("order_lines") < at("orders") && at("orders") < at("customers"),
            "{order:?}"
        );
        assert!(at("support_tickets") < at("customers"), "{order:?}");

        let outcome = erase(&db.spec, &db.conn, &kari, KEY).await.unwrap();
        assert_eq!(
            outcome.tables, plan.tables,
            "{engine:?}: the dry run mispredicted"
        );
        assert_eq!(outcome.changes(), 1 + 3 + 1 + 2, "{engine:?}");

        let after = db.snapshot().await;
        let expected_hash = {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, KEY);
            hex::encode(ring::hmac::sign(&key, b"kari@example.no").as_ref())
        };
        assert_eq!(
            after["customers"]["1"],
            [
                Some("1".into()),
                Some("K-1001".into()),
                Some(expected_hash),
                None,
                None,
                None
            ],
            "{engine:?}"
        );
        for (table, ids) in [
            ("orders", &["10", "11"][..]),
            ("order_lines", &["100", "101", "102"]),
        ] {
            for id in ids {
                assert_eq!(
                    after[table][*id], before[table][*id],
                    "{engine:?}: held {table} {id}"
                );
            }
        }
        assert!(
            !after["newsletter_subscriptions"].contains_key("200"),
            "{engine:?}"
        );
        assert!(!after["support_tickets"].contains_key("300"), "{engine:?}");
        assert!(!after["support_tickets"].contains_key("302"), "{engine:?}");
        // Every other customer's rows, byte for byte.
        for (table, _) in TABLES {
            let others = |snap: &Snapshot| {
                snap[*table]
                    .iter()
                    .filter(|(id, _)| !karis_ids(table).contains(&id.as_str()))
                    .map(|(id, row)| (id.clone(), row.clone()))
                    .collect::<Vec<_>>()
            };
            assert!(!others(&before).is_empty());
            assert_eq!(
                others(&after),
                others(&before),
                "{engine:?}: {table} of others changed"
            );
        }

        // Again: the customer number still finds Kari's kept rows, but nothing is left to change.
        let plan = erasure_plan(&db.spec, &db.conn, &kari).await.unwrap();
        assert_eq!(plan.changes(), 0, "{engine:?}: {plan:?}");
        assert_eq!(
            plan.tables.iter().map(|t| t.rows_found).sum::<u64>(),
            1 + 2 + 3,
            "{engine:?}"
        );
        let again = erase(&db.spec, &db.conn, &kari, KEY).await.unwrap();
        assert_eq!(again.tables, plan.tables, "{engine:?}");
        assert_eq!(again.changes(), 0, "{engine:?}");
        assert_eq!(
            db.snapshot().await,
            after,
            "{engine:?}: a second run changed something"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn rectification_changes_exactly_the_previewed_field_of_the_requester_once() {
    for db in shops("rectify").await {
        let engine = db.engine();
        let ola = subject(&[("customer_no", "K-1002")]);
        let before = db.snapshot().await;
        let correction = Correction {
            table: "customers".into(),
            column: "city".into(),
            value: Some("Trondheim".into()),
        };
        let preview = rectify_preview(&db.spec, &db.conn, &ola, &correction)
            .await
            .unwrap();
        assert_eq!(
            (preview.rows_found, preview.rows_changed),
            (1, 1),
            "{engine:?}"
        );
        assert_eq!(
            db.snapshot().await,
            before,
            "{engine:?}: the preview changed something"
        );

        let applied = rectify(&db.spec, &db.conn, &ola, &correction)
            .await
            .unwrap();
        assert_eq!(applied, preview, "{engine:?}");
        let mut expected = before.clone();
        let row = expected.get_mut("customers").unwrap().get_mut("2").unwrap();
        row[5] = Some("Trondheim".into());
        assert_eq!(
            db.snapshot().await,
            expected,
            "{engine:?}: only Ola's city changed"
        );

        let again = rectify(&db.spec, &db.conn, &ola, &correction)
            .await
            .unwrap();
        assert_eq!((again.rows_found, again.rows_changed), (1, 0), "{engine:?}");

        // Only declared fields are written: not the primary key, not a relation column.
        for (table, column) in [
            ("customers", "id"),
            ("orders", "customer_id"),
            ("ghosts", "x"),
        ] {
            let bad = Correction {
                table: table.into(),
                column: column.into(),
                value: Some("1".into()),
            };
            assert!(
                matches!(
                    rectify(&db.spec, &db.conn, &ola, &bad).await,
                    Err(Error::Undeclared(_))
                ),
                "{engine:?}: {table}.{column}"
            );
        }
        assert_eq!(db.snapshot().await, expected, "{engine:?}");
        db.finish().await;
    }
}

#[tokio::test]
async fn injection_payloads_in_identifiers_find_and_change_nothing() {
    const PAYLOADS: &[&str] = &[
        "' OR '1'='1",
        "' OR 1=1 --",
        "kari@example.no' OR '1'='1",
        "1; DROP TABLE customers; --",
        "'; DELETE FROM newsletter_subscriptions; --",
        "\" OR \"\"=\"",
        "` OR 1=1 #",
        "K-1001' /*",
        "%",
        "kari@example.no\0",
        "') OR ('a'='a",
        "$1",
        "?",
    ];
    for db in shops("injection").await {
        let engine = db.engine();
        let before = db.snapshot().await;
        for payload in PAYLOADS {
            let hostile = subject(&[
                ("email", payload),
                ("phone", payload),
                ("customer_no", payload),
            ]);
            // PostgreSQL refuses a NUL byte in text outright; that is an error, not a match.
            let found = match access(&db.spec, &db.conn, &hostile).await {
                Ok(found) => found.row_count(),
                Err(Error::Database(_)) if payload.contains('\0') && engine == Engine::Postgres => {
                    0
                }
                Err(e) => panic!("{engine:?} {payload:?}: {e}"),
            };
            assert_eq!(found, 0, "{engine:?}: {payload:?} found rows");
            match erase(&db.spec, &db.conn, &hostile, KEY).await {
                Ok(outcome) => assert_eq!(outcome.changes(), 0, "{engine:?}: {payload:?}"),
                Err(Error::Database(_)) if payload.contains('\0') && engine == Engine::Postgres => {
                }
                Err(e) => panic!("{engine:?} {payload:?}: {e}"),
            }
            assert_eq!(
                db.snapshot().await,
                before,
                "{engine:?}: {payload:?} changed the shop"
            );
        }
        db.finish().await;
    }
}

#[tokio::test]
async fn an_invalid_spec_is_refused_with_the_paths_named() {
    let mut spec = spec_for(Engine::Sqlite);
    spec.tables[0].name = "customers; DROP TABLE x".into();
    spec.tables[1].belongs_to[0].table = "ghosts".into();
    let sku = spec.tables[2].fields["sku"].clone();
    spec.tables[2].fields.insert("bad column".into(), sku);
    let problems = spec.validate().unwrap_err();
    let paths: Vec<String> = problems.iter().map(|p| p.path.to_string()).collect();
    for path in [
        "datasets.shop.tables[0].name",
        "datasets.shop.tables[1].belongs_to[0].table",
        "datasets.shop.tables[2].fields.bad column",
        // support_tickets still points at "customers", which is no longer declared.
        "datasets.shop.tables[4].belongs_to[0].table",
    ] {
        assert!(paths.iter().any(|p| p == path), "{path} not in {paths:#?}");
    }

    let mut cyclic = spec_for(Engine::Sqlite);
    let back = kapsel_connect::Relation {
        column: "first_line".into(),
        table: "order_lines".into(),
        references: "id".into(),
    };
    cyclic.tables[1].belongs_to.push(back);
    let problems = cyclic.validate().unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("cycle") && p.message.contains("order_lines")),
        "{problems:#?}"
    );

    let mut held_and_deleted = spec_for(Engine::Sqlite);
    held_and_deleted.tables[3]
        .fields
        .get_mut("topic")
        .unwrap()
        .erasure = kapsel_connect::Erasure::Hold {
        ground: String::new(),
    };
    let problems = held_and_deleted.validate().unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.path.to_string() == "datasets.shop.tables[3].fields.topic.erasure"),
        "{problems:#?}"
    );

    assert!(spec_for(Engine::Sqlite).validate().is_ok());

    // Every engine refuses to run it, before touching the database.
    for db in shops("invalid spec").await {
        let before = db.snapshot().await;
        let mut bad = spec.clone();
        bad.engine = db.engine();
        let kari = subject(&[("email", "kari@example.no")]);
        assert!(matches!(
            access(&bad, &db.conn, &kari).await,
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            erase(&bad, &db.conn, &kari, KEY).await,
            Err(Error::Invalid(_))
        ));
        // A spec for another engine is refused too.
        let other = spec_for(if db.engine() == Engine::Sqlite {
            Engine::Postgres
        } else {
            Engine::Sqlite
        });
        assert!(matches!(
            erase(&other, &db.conn, &kari, KEY).await,
            Err(Error::EngineMismatch { .. })
        ));
        assert_eq!(db.snapshot().await, before);
        db.finish().await;
    }
}
