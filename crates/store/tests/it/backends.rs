//! The backends a test runs on — a fresh SQLite file always, a fresh PostgreSQL schema
//! (`kapsel_testkit::PgSchema`) when `KAPSEL_TEST_DATABASE_URL` names a server — and the
//! fixtures every concern's story shares: a fictional visitor's choice and a started ledger.
//!
//! [`on_every_backend!`] turns each `async fn case(backend: &TestBackend)` of a module into two
//! tests, `case::sqlite` and `case::postgres`; the second is skipped loudly without a server
//! and fails under `KAPSEL_REQUIRE_ALL=1`.

use std::sync::Arc;

use kapsel_core::consent::{
    ConsentAction, ConsentChoice, Lifetimes, Receipt, RecordContext, receipt_id,
};
use kapsel_core::privacy::ConsentSettings;
use kapsel_core::{Clock, Lang, Random};
use kapsel_store::{Ledger, LedgerAppend, Store};
use kapsel_testkit::PgSchema;
use tokio_util::sync::CancellationToken;

pub const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

/// One backend under test, migrated, with whatever must be cleaned up after it.
pub struct TestBackend {
    pub name: &'static str,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<PgSchema>,
}

impl TestBackend {
    pub async fn sqlite() -> TestBackend {
        TestBackend::sqlite_at(i64::MAX).await
    }

    /// A SQLite backend with the migrations up to `version` applied (all: `i64::MAX`).
    pub async fn sqlite_at(version: i64) -> TestBackend {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_data_dir(dir.path()).await.unwrap();
        migrate_until(&store, version).await;
        TestBackend {
            name: "sqlite",
            store,
            _dir: Some(dir),
            pg_schema: None,
        }
    }

    /// A fresh schema on the test PostgreSQL, or `None` (skipped loudly) without one.
    pub async fn postgres(test: &str) -> Option<TestBackend> {
        TestBackend::postgres_at(test, i64::MAX).await
    }

    /// Like [`TestBackend::postgres`], with the migrations up to `version` applied.
    pub async fn postgres_at(test: &str, version: i64) -> Option<TestBackend> {
        let schema = PgSchema::create(test).await?;
        let store = schema.open().await;
        migrate_until(&store, version).await;
        Some(TestBackend {
            name: "postgres",
            store,
            _dir: None,
            pg_schema: Some(schema),
        })
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
        if let Some(schema) = self.pg_schema {
            schema.drop_schema().await;
        }
    }
}

/// Applies this backend's migrations up to `version`, as an older Kapsel left the database.
async fn migrate_until(store: &Store, version: i64) {
    let mut migrator = kapsel_store::migrations::migrator(store.dialect());
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|migration| migration.version <= version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    match store {
        Store::Sqlite(pool) => migrator.run(pool).await.unwrap(),
        Store::Postgres(pool) => migrator.run(pool).await.unwrap(),
    }
}

/// `on_every_backend!(case_a, case_b)`: each `async fn case(backend: &TestBackend)` of the
/// calling module runs as the tests `case::sqlite` and `case::postgres`.
macro_rules! on_every_backend {
    ($($case:ident),+ $(,)?) => {
        $(
            mod $case {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let backend = $crate::it::backends::TestBackend::sqlite().await;
                    super::$case(&backend).await;
                    backend.finish().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let test = concat!(module_path!(), "::", stringify!($case));
                    let Some(backend) = $crate::it::backends::TestBackend::postgres(test).await
                    else {
                        return;
                    };
                    super::$case(&backend).await;
                    backend.finish().await;
                }
            }
        )+
    };
}

pub(crate) use on_every_backend;

/// Starts the writer of `chain` on `backend` with `clock`.
pub async fn start(
    backend: &TestBackend,
    chain: &str,
    clock: Arc<dyn Clock>,
) -> (Ledger, CancellationToken) {
    let shutdown = CancellationToken::new();
    let ledger = Ledger::start(backend.store.clone(), chain.into(), clock, shutdown.clone())
        .await
        .unwrap();
    (ledger, shutdown)
}

/// Appends `n` custom choices on `site`, one after the other.
pub async fn append_n(ledger: &Ledger, site: &str, n: usize) -> Vec<Receipt> {
    let mut receipts = Vec::new();
    for i in 0..n {
        let choice = choice(site, ConsentAction::Custom, i % 2 == 0);
        receipts.push(
            ledger
                .append(new_id(), choice, context(), lifetimes())
                .await
                .unwrap(),
        );
    }
    receipts
}

pub fn lifetimes() -> Lifetimes {
    Lifetimes::from_settings(&ConsentSettings::default()).unwrap()
}

pub fn new_id() -> String {
    receipt_id(kapsel_core::OsRandom.bytes16())
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
