//! A fictional course shop for the request desk's tests: the privacy-file additions that
//! declare it (a customer number to ask for, the shop as a SQLite dataset, a manual paper
//! archive, optionally a CRM behind a webhook) and the SQLite database itself, with two
//! customers — Kari (K-1001) and Ola (K-1002) — and their bookings.

use std::path::{Path, PathBuf};

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

use crate::example::example_source;

/// `[[identifiers]]` and `[[datasets]]` for the shop, to append to the example privacy file.
pub const SHOP_DECLARATION: &str = r#"
[[identifiers]]
id = "customer-no"
label = { nb = "Kundenummer", nn = "Kundenummer", en = "Customer number" }
hint = { nb = "Står på fakturaen, for eksempel K-1001.", nn = "Står på fakturaen, til dømes K-1001.", en = "On your invoice, e.g. K-1001." }

[[datasets]]
id = "shop"
connection = "shop"
engine = "sqlite"

[[datasets.tables]]
name = "customers"
primary_key = "id"
identity = { email = "email", customer_no = "customer-no" }
[datasets.tables.fields]
customer_no = { category = "identifier", activity = "accounting", erasure = { hold = { ground = "bokføringsloven § 13" } } }
email = { category = "contact", activity = "course-bookings", erasure = "keyed_hash" }
name = { category = "identity", activity = "course-bookings", erasure = "set_null" }

[[datasets.tables]]
name = "bookings"
primary_key = "id"
belongs_to = [{ column = "customer_id", table = "customers", references = "id" }]
[datasets.tables.fields]
course = { category = "purchase", activity = "course-bookings", erasure = "delete_row" }

[[datasets]]
id = "archive"
engine = "manual"
instructions = "Find the customer's folder in the paper archive and shred it."
"#;

/// A CRM dataset behind a webhook (connector `crm`).
pub const CRM_DECLARATION: &str = r#"
[[datasets]]
id = "crm"
connection = "crm"
engine = "webhook"
identifiers = ["email", "customer-no"]
"#;

/// The shop's web log as a second dataset on the same database, and a retention rule keeping
/// page views for the web-analytics activity's 25 months. See [`Shop::add_page_views`].
pub const PAGE_VIEWS_DECLARATION: &str = r#"
[[datasets]]
id = "weblog"
connection = "shop"
engine = "sqlite"

[[datasets.tables]]
name = "customers"
primary_key = "id"
identity = { email = "email" }

[[datasets.tables]]
name = "page_views"
primary_key = "id"
belongs_to = [{ column = "customer_id", table = "customers", references = "id" }]
[datasets.tables.fields]
ip = { category = "traffic", activity = "web-analytics", erasure = "delete_row" }

[[retention]]
id = "page-views"
activity = "web-analytics"
dataset = "weblog"
table = "page_views"
timestamp = "viewed_at"
period = "25 months"
ground = "Statistics are not kept longer than the analytics provider keeps them."
action = "delete"
"#;

/// The example privacy file with the shop (and the CRM when `with_crm`).
pub fn shop_privacy_source(with_crm: bool) -> String {
    let mut source = example_source();
    source.push_str(SHOP_DECLARATION);
    if with_crm {
        source.push_str(CRM_DECLARATION);
    }
    source
}

/// The shop's SQLite database in a file.
pub struct Shop {
    pub pool: SqlitePool,
    pub path: PathBuf,
}

impl Shop {
    /// Creates the shop at `path` with Kari's two bookings and Ola's one, plus `extra`
    /// bookings of Kari's (a large erasure).
    pub async fn create(path: &Path, extra: u32) -> Shop {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.unwrap();
        for sql in [
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, customer_no TEXT NOT NULL, email TEXT, name TEXT)",
            "CREATE INDEX customers_email ON customers (email)",
            "CREATE INDEX customers_no ON customers (customer_no)",
            "CREATE TABLE bookings (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id), course TEXT NOT NULL)",
            "CREATE INDEX bookings_customer ON bookings (customer_id)",
            "INSERT INTO customers VALUES (1, 'K-1001', 'kari.nordmann@example.org', 'Kari Nordmann'), \
             (2, 'K-1002', 'ola.nordmann@example.org', 'Ola Nordmann')",
            "INSERT INTO bookings VALUES (10, 1, 'Fjellvandring'), (11, 1, 'Kajakk'), (12, 2, 'Klatring')",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        if extra > 0 {
            sqlx::query(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
                 INSERT INTO bookings (id, customer_id, course) SELECT 1000 + i, 1, 'Kurs ' || i FROM n",
            )
            .bind(extra)
            .execute(&pool)
            .await
            .unwrap();
        }
        Shop {
            pool,
            path: path.to_owned(),
        }
    }

    /// Adds the `page_views` table: ids 1..=`expired` viewed 30 months before `now` (a SQLite
    /// time value: `'now'` or `'2026-01-31 10:00:00'`), one second apart, then `recent` viewed
    /// the day before `now`; none of them a customer's.
    pub async fn add_page_views(&self, expired: i64, recent: i64, now: &str) {
        for sql in [
            "CREATE TABLE page_views (id INTEGER PRIMARY KEY, viewed_at TEXT NOT NULL, ip TEXT, \
             customer_id INTEGER)",
            "CREATE INDEX page_views_at ON page_views (viewed_at)",
        ] {
            sqlx::query(sql).execute(&self.pool).await.unwrap();
        }
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 + ?2) \
             INSERT INTO page_views SELECT i, CASE WHEN i <= ?1 \
             THEN datetime(?3, '-30 months', '+' || i || ' seconds') \
             ELSE datetime(?3, '-1 days', '+' || (i % 3600) || ' seconds') END, \
             '192.0.2.' || (i % 250), NULL FROM n",
        )
        .bind(expired)
        .bind(recent)
        .bind(now)
        .execute(&self.pool)
        .await
        .unwrap();
    }

    /// The connector URL of the shop.
    pub fn url(&self) -> String {
        format!("sqlite://{}", self.path.display())
    }

    /// Bookings of customer `id`.
    pub async fn bookings_of(&self, id: i64) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE customer_id = ?1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}
