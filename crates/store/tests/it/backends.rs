//! Test backends: a fresh SQLite file, and a fresh PostgreSQL schema per test (dropped after).

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use kapsel_core::consent::{ConsentAction, ConsentChoice, Lifetimes, RecordContext, receipt_id};
use kapsel_core::privacy::ConsentSettings;
use kapsel_core::{Clock, Lang, Millis};
use kapsel_store::Store;
use sqlx::Connection as _;
use sqlx::postgres::PgConnectOptions;

/// One backend under test, with whatever must be cleaned up after it.
pub struct TestBackend {
    pub name: &'static str,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestBackend {
    pub async fn sqlite() -> TestBackend {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_data_dir(dir.path()).await.unwrap();
        TestBackend {
            name: "sqlite",
            store,
            _dir: Some(dir),
            pg_schema: None,
        }
    }

    pub async fn postgres(url: &str) -> TestBackend {
        let schema = format!("kapsel_test_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let options = PgConnectOptions::from_str(url)
            .unwrap()
            .options([("search_path", schema.as_str())]);
        let store = Store::open_postgres_with(options).await.unwrap();
        TestBackend {
            name: "postgres",
            store,
            _dir: None,
            pg_schema: Some((url.into(), schema)),
        }
    }

    /// Runs raw SQL against the backend, as an attacker with database access would.
    pub async fn raw(&self, sql: &str) -> u64 {
        match &self.store {
            Store::Sqlite(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
            Store::Postgres(pool) => sqlx::query(sql)
                .execute(pool)
                .await
                .unwrap()
                .rows_affected(),
        }
    }

    /// Closes the store and drops the PostgreSQL schema.
    pub async fn finish(self) {
        self.store.close().await;
        if let Some((url, schema)) = self.pg_schema {
            let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&mut admin)
                .await
                .unwrap();
            admin.close().await.unwrap();
        }
    }
}

/// Every backend available here, migrated. PostgreSQL is skipped loudly unless
/// `KAPSEL_REQUIRE_ALL=1`, in which case its absence fails the test.
pub async fn backends() -> Vec<TestBackend> {
    let mut all = vec![TestBackend::sqlite().await];
    match std::env::var("KAPSEL_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => all.push(TestBackend::postgres(&url).await),
        _ => {
            if std::env::var("KAPSEL_REQUIRE_ALL").as_deref() == Ok("1") {
                panic!("KAPSEL_REQUIRE_ALL=1 but KAPSEL_TEST_DATABASE_URL is not set");
            }
            eprintln!("SKIP: PostgreSQL conformance (set KAPSEL_TEST_DATABASE_URL to run it)");
        }
    }
    for backend in &all {
        backend.store.migrate().await.unwrap();
    }
    all
}

/// A clock the test moves by hand.
#[derive(Debug, Default)]
pub struct HandClock(pub AtomicI64);

impl HandClock {
    pub fn at(ms: Millis) -> Arc<HandClock> {
        Arc::new(HandClock(AtomicI64::new(ms)))
    }
    pub fn set(&self, ms: Millis) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for HandClock {
    fn now_ms(&self) -> Millis {
        self.0.load(Ordering::SeqCst)
    }
}

pub fn lifetimes() -> Lifetimes {
    Lifetimes::from_settings(&ConsentSettings::default()).unwrap()
}

pub fn new_id() -> String {
    receipt_id(rand::random())
}

/// A fictional visitor's choice on `site`.
pub fn choice(site: &str, action: ConsentAction, analytics: bool) -> ConsentChoice {
    ConsentChoice {
        site: site.into(),
        revision: "rev-1".into(),
        language: Lang::new("nb"),
        action,
        categories: [("necessary".into(), true), ("analytics".into(), analytics)].into(),
        services: [("ga4".into(), analytics)].into(),
        previous_receipt: None,
        gpc: false,
    }
}

pub fn context() -> RecordContext {
    RecordContext {
        ip_prefix: Some("192.0.2.0/24".into()),
        ua_family: "Firefox".into(),
    }
}
