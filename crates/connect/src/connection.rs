//! A connection to the operator's database: a concrete sqlx pool per engine (no `Any` driver, so
//! each engine's types decode as that engine defines them), and the two things the engine needs
//! from it: fetch rows, execute a statement, both with every value bound.

use std::str::FromStr;

use sqlx::mysql::{MySqlConnection, MySqlPool};
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqlitePool};
use sqlx::{MySql, Postgres, Sqlite, Transaction};

use crate::Engine;
use crate::Error;
use crate::dialect::{Param, Sql};

/// The SQL engines a connection can be to: the SQL subset of the privacy file's [`Engine`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlEngine {
    Postgres,
    Mysql,
    Sqlite,
}

impl SqlEngine {
    /// The engine as the privacy file names it.
    pub fn declared(self) -> Engine {
        match self {
            SqlEngine::Postgres => Engine::Postgres,
            SqlEngine::Mysql => Engine::Mysql,
            SqlEngine::Sqlite => Engine::Sqlite,
        }
    }
}

/// A pool on one of the supported engines.
#[derive(Debug, Clone)]
pub enum Connection {
    Postgres(PgPool),
    Mysql(MySqlPool),
    Sqlite(SqlitePool),
}

/// A row's primary key as the engine returned it, bound back unchanged when the row is changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Int(i64),
    Text(String),
}

impl Key {
    pub(crate) fn param(&self) -> Param {
        match self {
            Key::Int(i) => Param::Int(*i),
            Key::Text(s) => Param::Text(s.clone()),
        }
    }
}

/// A fetched row: the key (column 0, when asked for) and the remaining columns as text.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub key: Option<Key>,
    pub values: Vec<Option<String>>,
}

impl Connection {
    /// Opens `postgres://…`, `mysql://…` (or `mariadb://…`) or `sqlite://path`. A SQLite file
    /// must exist: the operator's database is never created by Kapsel.
    pub async fn open(url: &str) -> Result<Connection, Error> {
        let scheme = url.split(':').next().unwrap_or("");
        Ok(match scheme {
            "postgres" | "postgresql" => Connection::Postgres(PgPool::connect(url).await?),
            "mysql" | "mariadb" => Connection::Mysql(MySqlPool::connect(url).await?),
            "sqlite" => Connection::Sqlite(
                SqlitePool::connect_with(SqliteConnectOptions::from_str(url)?).await?,
            ),
            _ => return Err(Error::Url(scheme.to_owned())),
        })
    }

    pub fn engine(&self) -> SqlEngine {
        match self {
            Connection::Postgres(_) => SqlEngine::Postgres,
            Connection::Mysql(_) => SqlEngine::Mysql,
            Connection::Sqlite(_) => SqlEngine::Sqlite,
        }
    }

    pub(crate) async fn fetch(&self, sql: &Sql, keyed: bool) -> Result<Vec<Row>, Error> {
        match self {
            Connection::Postgres(p) => fetch(Exec::Pg(&mut *p.acquire().await?), sql, keyed).await,
            Connection::Mysql(p) => fetch(Exec::My(&mut *p.acquire().await?), sql, keyed).await,
            Connection::Sqlite(p) => fetch(Exec::Lite(&mut *p.acquire().await?), sql, keyed).await,
        }
    }

    pub(crate) async fn begin(&self) -> Result<Tx, Error> {
        Ok(match self {
            Connection::Postgres(p) => Tx::Pg(p.begin().await?),
            Connection::Mysql(p) => Tx::My(p.begin().await?),
            // IMMEDIATE takes the write lock before the selection, so no other writer can change
            // the rows between what an erasure reads and what it changes.
            Connection::Sqlite(p) => Tx::Lite(p.begin_with("BEGIN IMMEDIATE").await?),
        })
    }
}

/// One open transaction; dropped without [`Tx::commit`] it rolls back.
pub(crate) enum Tx {
    Pg(Transaction<'static, Postgres>),
    My(Transaction<'static, MySql>),
    Lite(Transaction<'static, Sqlite>),
}

impl Tx {
    fn exec(&mut self) -> Exec<'_> {
        match self {
            Tx::Pg(t) => Exec::Pg(t),
            Tx::My(t) => Exec::My(t),
            Tx::Lite(t) => Exec::Lite(t),
        }
    }

    pub fn engine(&self) -> SqlEngine {
        match self {
            Tx::Pg(_) => SqlEngine::Postgres,
            Tx::My(_) => SqlEngine::Mysql,
            Tx::Lite(_) => SqlEngine::Sqlite,
        }
    }

    pub async fn fetch(&mut self, sql: &Sql, keyed: bool) -> Result<Vec<Row>, Error> {
        fetch(self.exec(), sql, keyed).await
    }

    /// Runs a statement; the number of rows it changed.
    pub async fn execute(&mut self, sql: &Sql) -> Result<u64, Error> {
        execute(self.exec(), sql).await
    }

    pub async fn commit(self) -> Result<(), Error> {
        match self {
            Tx::Pg(t) => t.commit().await?,
            Tx::My(t) => t.commit().await?,
            Tx::Lite(t) => t.commit().await?,
        }
        Ok(())
    }
}

enum Exec<'a> {
    Pg(&'a mut PgConnection),
    My(&'a mut MySqlConnection),
    Lite(&'a mut SqliteConnection),
}

/// Binds every parameter of `$sql` to the query `$q`.
macro_rules! bound {
    ($q:expr, $sql:expr) => {{
        let mut q = $q;
        for p in &$sql.params {
            q = match p {
                Param::Text(s) => q.bind(s.clone()),
                Param::Int(i) => q.bind(*i),
            };
        }
        q
    }};
}

/// Decodes a row of any engine: column 0 as the key when `keyed`, the rest as nullable text.
macro_rules! decode {
    ($row:expr, $keyed:expr) => {{
        use sqlx::Row as _;
        let row = $row;
        let start = usize::from($keyed);
        let key = if $keyed {
            Some(if let Ok(v) = row.try_get::<i64, _>(0) {
                Key::Int(v)
            } else if let Ok(v) = row.try_get::<i32, _>(0) {
                Key::Int(i64::from(v))
            } else if let Ok(v) = row.try_get::<i16, _>(0) {
                Key::Int(i64::from(v))
            } else {
                Key::Text(row.try_get::<String, _>(0).map_err(|_| Error::Key)?)
            })
        } else {
            None
        };
        let mut values = Vec::with_capacity(row.len().saturating_sub(start));
        for i in start..row.len() {
            values.push(row.try_get::<Option<String>, _>(i)?);
        }
        Row { key, values }
    }};
}

async fn fetch(exec: Exec<'_>, sql: &Sql, keyed: bool) -> Result<Vec<Row>, Error> {
    let mut out = Vec::new();
    match exec {
        Exec::Pg(c) => {
            for row in bound!(sqlx::query(&sql.text), sql).fetch_all(c).await? {
                out.push(decode!(row, keyed));
            }
        }
        Exec::My(c) => {
            for row in bound!(sqlx::query(&sql.text), sql).fetch_all(c).await? {
                out.push(decode!(row, keyed));
            }
        }
        Exec::Lite(c) => {
            for row in bound!(sqlx::query(&sql.text), sql).fetch_all(c).await? {
                out.push(decode!(row, keyed));
            }
        }
    }
    Ok(out)
}

async fn execute(exec: Exec<'_>, sql: &Sql) -> Result<u64, Error> {
    Ok(match exec {
        Exec::Pg(c) => bound!(sqlx::query(&sql.text), sql)
            .execute(c)
            .await?
            .rows_affected(),
        Exec::My(c) => bound!(sqlx::query(&sql.text), sql)
            .execute(c)
            .await?
            .rows_affected(),
        Exec::Lite(c) => bound!(sqlx::query(&sql.text), sql)
            .execute(c)
            .await?
            .rows_affected(),
    })
}
