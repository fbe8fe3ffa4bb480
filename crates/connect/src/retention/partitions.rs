//! PostgreSQL's side of retention: range partitions whose upper bound is at or before the
//! cutoff are detached and dropped whole (far cheaper than deleting their rows, and nothing is
//! left to vacuum), and the column types an anonymised value is cast back to. Partition names
//! come from the catalogue and are quoted; values are bound.

use std::collections::BTreeMap;

use kapsel_core::Millis;
use kapsel_core::privacy::RetentionRule;
use serde::Serialize;

use super::condition::Cutoff;
use super::{SubjectHolds, count_text, first_count, rule_table};
use crate::connection::Connection;
use crate::dialect::{Param, Sql, quote};
use crate::{DatasetSpec, Error, SqlEngine};

/// One partition of a rule's table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partition {
    pub name: String,
    /// The exclusive upper bound, as PostgreSQL writes it.
    pub upper_bound: String,
    pub rows: u64,
    /// Rows of a subject under a legal hold: a partition with any is kept whole.
    pub held: u64,
}

/// The partitions of `rule`'s table that lie wholly before the cutoff, oldest bound first.
pub async fn expired_partitions(
    conn: &Connection,
    spec: &DatasetSpec,
    rule: &RetentionRule,
    cutoff_ms: Millis,
    holds: &SubjectHolds,
) -> Result<Vec<Partition>, Error> {
    let table = rule_table(conn, spec, rule)?;
    let Cutoff::Timestamptz(cutoff) =
        Cutoff::for_column(conn, rule, &table.name, cutoff_ms).await?
    else {
        return Err(Error::Undeclared("partitions outside PostgreSQL".into()));
    };
    let mut sql = Sql::new(SqlEngine::Postgres);
    sql.push(
        "SELECT c.relname::text, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i \
         JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(",
    );
    sql.bind(Param::Text(quote(SqlEngine::Postgres, &table.name)));
    sql.push(")");
    let mut found = Vec::new();
    for row in conn.fetch(&sql, false).await? {
        let (Some(Some(name)), Some(Some(bound))) = (row.values.first(), row.values.get(1)) else {
            continue;
        };
        let Some(upper) = upper_bound(bound) else {
            continue;
        };
        let mut before = Sql::new(SqlEngine::Postgres);
        before
            .push("SELECT 'yes' WHERE CAST(")
            .bind(Param::Text(upper.clone()));
        before
            .push(" AS timestamptz) <= CAST(")
            .bind(Param::Text(cutoff.clone()));
        before.push(" AS timestamptz)");
        if conn.fetch(&before, false).await?.is_empty() {
            continue;
        }
        let mut count = Sql::new(SqlEngine::Postgres);
        count.push("SELECT ").push(&count_text(SqlEngine::Postgres));
        count.push(" FROM ").ident(name);
        let rows = first_count(&conn.fetch(&count, false).await?);
        let held = if holds.hashes.is_empty() || table.identity.is_empty() {
            0
        } else {
            let mut sql = Sql::new(SqlEngine::Postgres);
            sql.push("SELECT ");
            for (i, column) in table.identity.keys().enumerate() {
                sql.push(if i > 0 { ", " } else { "" })
                    .ident_as_text(column);
            }
            sql.push(" FROM ").ident(name);
            let rows = conn.fetch(&sql, false).await?;
            let kinds: Vec<&str> = table.identity.values().map(String::as_str).collect();
            rows.iter()
                .filter(|r| holds.holds(&kinds, &r.values))
                .count() as u64
        };
        found.push(Partition {
            name: name.clone(),
            upper_bound: upper,
            rows,
            held,
        });
    }
    found.sort_by(|a, b| a.upper_bound.cmp(&b.upper_bound));
    Ok(found)
}

/// Detaches partition `name` from `rule`'s table and drops it, in one transaction; the rows
/// it held, or 0 when it is already gone (a repeated step after a crash).
pub async fn drop_partition(
    conn: &Connection,
    spec: &DatasetSpec,
    rule: &RetentionRule,
    name: &str,
) -> Result<u64, Error> {
    let table = rule_table(conn, spec, rule)?;
    let mut exists = Sql::new(SqlEngine::Postgres);
    exists.push("SELECT 'yes' FROM pg_inherits WHERE inhrelid = to_regclass(");
    exists.bind(Param::Text(quote(SqlEngine::Postgres, name)));
    exists.push(") AND inhparent = to_regclass(");
    exists.bind(Param::Text(quote(SqlEngine::Postgres, &table.name)));
    exists.push(")");
    if conn.fetch(&exists, false).await?.is_empty() {
        return Ok(0);
    }
    let mut tx = conn.begin().await?;
    let mut count = Sql::new(SqlEngine::Postgres);
    count.push("SELECT ").push(&count_text(SqlEngine::Postgres));
    count.push(" FROM ").ident(name);
    let rows = first_count(&tx.fetch(&count, false).await?);
    let mut detach = Sql::new(SqlEngine::Postgres);
    detach.push("ALTER TABLE ").ident(&table.name);
    detach.push(" DETACH PARTITION ").ident(name);
    tx.execute(&detach).await?;
    let mut drop = Sql::new(SqlEngine::Postgres);
    drop.push("DROP TABLE ").ident(name);
    tx.execute(&drop).await?;
    tx.commit().await?;
    Ok(rows)
}

/// The literal of `TO ('…')` in `FOR VALUES FROM (…) TO ('2024-02-01 00:00:00+00')`; none for
/// `MAXVALUE`, a default partition or a bound of several columns.
fn upper_bound(bound: &str) -> Option<String> {
    let rest = bound.split(" TO (").nth(1)?;
    let literal = rest.strip_prefix('\'')?;
    let end = literal.find('\'')?;
    let value = literal.get(..end)?;
    let after = literal.get(end + 1..)?;
    after.starts_with(')').then(|| value.to_owned())
}

/// Column → its type as PostgreSQL writes it (`timestamp with time zone`, `inet`,
/// `character varying(20)`), for casting a bound text value back.
pub(crate) async fn column_types(
    conn: &Connection,
    table: &str,
) -> Result<BTreeMap<String, String>, Error> {
    let mut sql = Sql::new(SqlEngine::Postgres);
    sql.push(
        "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute \
         WHERE attrelid = to_regclass(",
    );
    sql.bind(Param::Text(quote(SqlEngine::Postgres, table)));
    sql.push(") AND attnum > 0 AND NOT attisdropped");
    let mut types = BTreeMap::new();
    for row in conn.fetch(&sql, false).await? {
        if let (Some(Some(name)), Some(Some(ty))) = (row.values.first(), row.values.get(1)) {
            // A type name from the catalogue; kept only when it is plainly one, as it is
            // written into a statement.
            if ty
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " _(),.\"[]".contains(c))
            {
                types.insert(name.clone(), ty.clone());
            }
        }
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::upper_bound;

    #[test]
    fn the_upper_bound_is_read_from_a_range_partition_only() {
        assert_eq!(
            upper_bound("FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2024-02-01 00:00:00+00')"),
            Some("2024-02-01 00:00:00+00".into())
        );
        assert_eq!(
            upper_bound("FOR VALUES FROM ('2024-01-01') TO (MAXVALUE)"),
            None
        );
        assert_eq!(upper_bound("DEFAULT"), None);
        assert_eq!(upper_bound("FOR VALUES FROM ('a', 1) TO ('b', 2)"), None);
    }
}
