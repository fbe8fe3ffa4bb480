//! The condition that selects a rule's expired rows, shared by the dry run, the batch selection
//! and the batch itself so the three can never disagree: the timestamp before the cutoff, the
//! filter's values, and the batch's key range.
//!
//! The cutoff is bound in the column's own terms: on PostgreSQL as `timestamptz` (a `date` or
//! `timestamp` column compares with it by the server's implicit casts), on MySQL/MariaDB as
//! `YYYY-MM-DD HH:MM:SS.fff` in UTC (the session's zone must be UTC for a `TIMESTAMP` column),
//! on SQLite as Unix seconds when the column holds numbers, else as ISO-8601 text with the same
//! separator (`T` or a space) as the column's values, so text order is time order.

use kapsel_core::Millis;
use kapsel_core::calendar::datetime_of;
use kapsel_core::privacy::RetentionRule;

use crate::connection::{Connection, Key};
use crate::dialect::{Param, Sql};
use crate::{Error, SqlEngine};

/// How the cutoff is written for the timestamp column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cutoff {
    /// PostgreSQL: RFC 3339 text cast to `timestamptz`.
    Timestamptz(String),
    /// MySQL/MariaDB, or SQLite text: the text the column is compared with.
    Text(String),
    /// SQLite numbers: Unix seconds.
    Seconds(i64),
}

impl Cutoff {
    /// The cutoff for `rule`'s timestamp column on `conn`. On SQLite this looks at one value of
    /// the column to learn how it is stored.
    pub(crate) async fn for_column(
        conn: &Connection,
        rule: &RetentionRule,
        table: &str,
        cutoff_ms: Millis,
    ) -> Result<Cutoff, Error> {
        let at = datetime_of(cutoff_ms).ok_or(Error::Cutoff(cutoff_ms))?;
        let date = format!(
            "{:04}-{:02}-{:02}",
            at.year(),
            u8::from(at.month()),
            at.day()
        );
        let time = format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second());
        let millis = at.millisecond();
        Ok(match conn.engine() {
            SqlEngine::Postgres => Cutoff::Timestamptz(format!("{date}T{time}.{millis:03}Z")),
            SqlEngine::Mysql => Cutoff::Text(format!("{date} {time}.{millis:03}")),
            SqlEngine::Sqlite => {
                let mut sql = Sql::new(SqlEngine::Sqlite);
                sql.push("SELECT typeof(")
                    .ident(&rule.timestamp)
                    .push("), ");
                sql.ident_as_text(&rule.timestamp)
                    .push(" FROM ")
                    .ident(table);
                sql.push(" WHERE ").ident(&rule.timestamp);
                sql.push(" IS NOT NULL LIMIT 1");
                let sample = conn.fetch(&sql, false).await?;
                let (kind, value) = sample
                    .first()
                    .map(|row| {
                        let at =
                            |i: usize| row.values.get(i).cloned().flatten().unwrap_or_default();
                        (at(0), at(1))
                    })
                    .unwrap_or_default();
                if kind == "integer" || kind == "real" {
                    Cutoff::Seconds(cutoff_ms.div_euclid(1000))
                } else {
                    let separator = if value.as_bytes().get(10) == Some(&b'T') {
                        'T'
                    } else {
                        ' '
                    };
                    Cutoff::Text(format!("{date}{separator}{time}"))
                }
            }
        })
    }
}

/// Appends `ts < cutoff AND <filter>` for `rule`, with `alias.` before each column when given.
pub(crate) fn push_expired(sql: &mut Sql, rule: &RetentionRule, cutoff: &Cutoff) {
    sql.ident(&rule.timestamp).push(" < ");
    match cutoff {
        Cutoff::Timestamptz(text) => {
            sql.push("CAST(")
                .bind(Param::Text(text.clone()))
                .push(" AS timestamptz)");
        }
        Cutoff::Text(text) => {
            sql.bind(Param::Text(text.clone()));
        }
        Cutoff::Seconds(seconds) => {
            sql.bind(Param::Int(*seconds));
        }
    }
    for (column, values) in &rule.filter {
        sql.push(" AND ").ident_as_text(column).push(" IN (");
        for (i, value) in values.values().iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Param::Text(value.clone()));
        }
        sql.push(")");
    }
}

/// Appends ` AND pk > after AND pk <= through` (each bound only when given).
pub(crate) fn push_range(sql: &mut Sql, pk: &str, after: Option<&Key>, through: Option<&Key>) {
    if let Some(after) = after {
        sql.push(" AND ").ident(pk).push(" > ").bind(after.param());
    }
    if let Some(through) = through {
        sql.push(" AND ")
            .ident(pk)
            .push(" <= ")
            .bind(through.param());
    }
}
