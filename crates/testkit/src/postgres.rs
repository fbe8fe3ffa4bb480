//! A fresh PostgreSQL schema per test on the server `KAPSEL_TEST_DATABASE_URL` names, dropped
//! by [`PgSchema::drop_schema`]. Tests never share tables, so they run in parallel.

use std::str::FromStr;

use sqlx::Connection as _;
use sqlx::postgres::PgConnectOptions;

use crate::skip::skip;

/// A schema created for one test.
#[derive(Debug)]
pub struct PgSchema {
    pub base_url: String,
    pub schema: String,
}

impl PgSchema {
    /// A fresh schema, or `None` (skipped loudly, or failing under `KAPSEL_REQUIRE_ALL=1`) when
    /// no test PostgreSQL is configured. `test` names the test in the skip line.
    pub async fn create(test: &str) -> Option<PgSchema> {
        let base_url = match std::env::var("KAPSEL_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                skip(
                    &format!("{test} on PostgreSQL"),
                    "set KAPSEL_TEST_DATABASE_URL to run it",
                );
                return None;
            }
        };
        let suffix = kapsel_core::Random::next_u64(&kapsel_core::OsRandom);
        let schema = format!("kapsel_test_{suffix:016x}");
        let mut admin = sqlx::PgConnection::connect(&base_url).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        Some(PgSchema { base_url, schema })
    }

    /// The URL with this schema as the search path (what `kapsel --database-url` takes).
    pub fn url(&self) -> String {
        let separator = if self.base_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{separator}options[search_path]={}",
            self.base_url, self.schema
        )
    }

    /// Connection options with this schema as the search path.
    pub fn options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.base_url)
            .unwrap()
            .options([("search_path", self.schema.as_str())])
    }

    /// A store on this schema (not yet migrated).
    #[cfg(feature = "store")]
    pub async fn open(&self) -> kapsel_store::Store {
        kapsel_store::Store::open_postgres_with(self.options())
            .await
            .unwrap()
    }

    /// Drops the schema and everything in it.
    pub async fn drop_schema(self) {
        let mut admin = sqlx::PgConnection::connect(&self.base_url).await.unwrap();
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
    }
}
