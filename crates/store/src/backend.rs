//! What every concern's SQL shares: the per-backend types (`Db`, `Pool`, `Conn`), the
//! row helper [`column`], and the two macros that keep each statement written once.
//!
//! - [`per_backend!`] expands a body of statements into a `sqlite` and a `postgres` module, each
//!   with the concrete types in scope. Statements use `$n` placeholders, which both dialects
//!   accept; dialect differences live in the migrations. Backend-only statements (the
//!   PostgreSQL chain lock) go in optional `sqlite { … }` / `postgres { … }` blocks after a
//!   `shared { … }` block.
//! - [`on_pool!`] calls the same function of a concern's `sql` module on whichever pool a
//!   [`Store`](crate::Store) holds.

use sqlx::{ColumnIndex, Decode, Row, Type};

use crate::StoreError;

/// SQLite's concrete types, in scope inside every `per_backend!` `sqlite` module.
pub mod sqlite {
    pub type Db = sqlx::Sqlite;
    pub type Pool = sqlx::SqlitePool;
    pub type Conn = sqlx::SqliteConnection;
}

/// PostgreSQL's concrete types, in scope inside every `per_backend!` `postgres` module.
pub mod postgres {
    pub type Db = sqlx::Postgres;
    pub type Pool = sqlx::PgPool;
    pub type Conn = sqlx::PgConnection;
}

/// Column `name` of `row` (the record `id`), or [`StoreError::CorruptRow`] naming both.
pub fn column<'r, R, T>(row: &'r R, id: &str, name: &'static str) -> Result<T, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    T: Decode<'r, R::Database> + Type<R::Database>,
{
    row.try_get::<T, _>(name)
        .map_err(|err| StoreError::CorruptRow {
            id: id.to_string(),
            column: name,
            reason: err.to_string(),
        })
}

/// Expands statements written once into `pub mod sqlite` and `pub mod postgres`.
///
/// ```text
/// per_backend! {
///     pub async fn revision_known(pool: &Pool, site: &str) -> Result<bool, StoreError> { … }
/// }
/// // or, with statements only one backend has:
/// per_backend! {
///     shared { … }
///     postgres { pub async fn try_lock_chain(conn: &mut Conn, …) … }
/// }
/// ```
macro_rules! per_backend {
    (
        shared { $($shared:tt)* }
        $(sqlite { $($sqlite:tt)* })?
        $(postgres { $($postgres:tt)* })?
    ) => {
        pub mod sqlite {
            //! The statements of this concern, for SQLite.
            #[allow(unused_imports)]
            use $crate::backend::sqlite::*;
            $($shared)*
            $($($sqlite)*)?
        }

        pub mod postgres {
            //! The statements of this concern, for PostgreSQL.
            #[allow(unused_imports)]
            use $crate::backend::postgres::*;
            $($shared)*
            $($($postgres)*)?
        }
    };
    ($($shared:tt)*) => {
        $crate::backend::per_backend! { shared { $($shared)* } }
    };
}

/// `on_pool!(store, sql::function(args…))` awaits `sql::sqlite::function(pool, args…)` or
/// `sql::postgres::function(pool, args…)`, whichever backend `store` is.
macro_rules! on_pool {
    ($store:expr, $sql:ident :: $function:ident ( $($arg:expr),* $(,)? )) => {
        match $store {
            $crate::Store::Sqlite(pool) => $sql::sqlite::$function(pool, $($arg),*).await,
            $crate::Store::Postgres(pool) => $sql::postgres::$function(pool, $($arg),*).await,
        }
    };
}

pub(crate) use {on_pool, per_backend};
