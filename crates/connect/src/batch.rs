//! The statements an erasure changes rows with, a few hundred rows each: one `DELETE … WHERE pk
//! IN (…)` per chunk of deleted rows, and one `UPDATE` per chunk of kept rows that change the same
//! fields the same way, so a requester with ten thousand orders costs tens of statements rather
//! than ten thousand. Which rows change and how is decided in [`crate::erase`]; this only writes
//! it down, values bound.

use crate::TableSpec;
use crate::connection::{Key, Row};
use crate::dialect::{Param, Sql};
use crate::erase::{Change, FieldChange, keyed_hash};
use crate::{Error, SqlEngine};

/// At most this many rows per `DELETE` or `UPDATE` …
pub(crate) const ROWS_PER_STATEMENT: usize = 500;
/// … and at most this many bound values: the lowest limit any SQLite build has had
/// (`SQLITE_MAX_VARIABLE_NUMBER` before 3.32), far under PostgreSQL's and MySQL's 65,535.
const PARAMS_PER_STATEMENT: usize = 999;

/// How many rows one `UPDATE` of `changes` carries: each row binds its key once, and its key and
/// hash once more for every hashed field.
pub(crate) fn rows_per_update(changes: &[FieldChange<'_>]) -> usize {
    rows_per_keyed_update(changes.iter().filter(|c| c.change == Change::Hash).count())
}

/// How many rows one `UPDATE … CASE pk WHEN $k THEN $v …` carries when each row binds
/// `values` values of its own (a key and a value each) besides its key in the `IN` list.
pub(crate) fn rows_per_keyed_update(values: usize) -> usize {
    (PARAMS_PER_STATEMENT / (1 + 2 * values)).clamp(1, ROWS_PER_STATEMENT)
}

/// `UPDATE t SET a = NULL, h = CASE pk WHEN $k THEN $hash … ELSE h END WHERE pk IN ($k, …)`:
/// the changes a group of rows shares, for one chunk of them. Nulls are the same for every row;
/// a hash is each row's own, so it is picked by key (CASE runs on every engine alike; the ELSE
/// never applies, as every key in the list has its WHEN).
pub(crate) fn update_sql(
    engine: SqlEngine,
    table: &TableSpec,
    changes: &[FieldChange<'_>],
    rows: &[&Row],
    hmac_key: &[u8],
) -> Result<Sql, Error> {
    let keys = rows
        .iter()
        .map(|row| row.key.as_ref().map(Key::param).ok_or(Error::Key))
        .collect::<Result<Vec<Param>, Error>>()?;
    let mut sql = Sql::new(engine);
    sql.push("UPDATE ").ident(&table.name).push(" SET ");
    for (i, change) in changes.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.ident(change.column).push(" = ");
        match change.change {
            Change::Null => {
                sql.push("NULL");
            }
            Change::Hash => {
                sql.push("CASE ").ident(&table.primary_key);
                for (row, key) in rows.iter().zip(&keys) {
                    let value = row
                        .values
                        .get(change.at)
                        .and_then(Option::as_deref)
                        .unwrap_or_default();
                    sql.push(" WHEN ").bind(key.clone()).push(" THEN ");
                    sql.bind(Param::Text(keyed_hash(hmac_key, value)));
                }
                sql.push(" ELSE ").ident(change.column).push(" END");
            }
        }
    }
    sql.push(" WHERE ").ident(&table.primary_key).push(" IN (");
    push_keys(&mut sql, keys);
    Ok(sql)
}

/// `DELETE FROM t WHERE pk IN ($k, …)` for one chunk of keys.
pub(crate) fn delete_sql(engine: SqlEngine, table: &TableSpec, keys: &[Key]) -> Sql {
    let mut sql = Sql::new(engine);
    sql.push("DELETE FROM ").ident(&table.name).push(" WHERE ");
    sql.ident(&table.primary_key).push(" IN (");
    push_keys(&mut sql, keys.iter().map(Key::param));
    sql
}

/// Binds `keys` as a comma-separated list and closes the `IN (`.
fn push_keys(sql: &mut Sql, keys: impl IntoIterator<Item = Param>) {
    for (i, key) in keys.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(key);
    }
    sql.push(")");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::erase::{Decision, decide, erasable};

    fn table(toml_fields: &str) -> TableSpec {
        let text = format!("name = \"t\"\nprimary_key = \"id\"\n[fields]\n{toml_fields}");
        toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn row(key: i64, values: &[Option<&str>]) -> Row {
        Row {
            key: Some(Key::Int(key)),
            values: values.iter().map(|v| v.map(str::to_owned)).collect(),
        }
    }

    #[test]
    fn an_update_stays_within_the_row_and_parameter_limits() {
        let null = |at| FieldChange {
            column: "a",
            at,
            change: Change::Null,
        };
        let hash = |at| FieldChange {
            column: "h",
            at,
            change: Change::Hash,
        };
        assert_eq!(rows_per_update(&[null(0)]), ROWS_PER_STATEMENT);
        assert_eq!(rows_per_update(&[null(0), hash(1)]), 333);
        assert_eq!(rows_per_update(&[hash(0), hash(1)]), 199);
        let many: Vec<_> = (0..600).map(hash).collect();
        assert_eq!(rows_per_update(&many), 1);
        for changes in [
            vec![null(0)],
            vec![null(0), hash(1)],
            vec![hash(0), hash(1)],
        ] {
            let n = rows_per_update(&changes);
            let hashes = changes.iter().filter(|c| c.change == Change::Hash).count();
            assert!(n * (1 + 2 * hashes) <= PARAMS_PER_STATEMENT);
        }
    }

    #[test]
    fn rows_with_the_same_changes_share_one_statement_with_each_hash_its_own() {
        let t = table(
            "name = { category = \"c\", activity = \"a\", erasure = \"set_null\" }\n\
             email = { category = \"c\", activity = \"a\", erasure = \"keyed_hash\" }\n\
             placed = { category = \"c\", activity = \"a\", erasure = { hold = { ground = \"g\" } } }",
        );
        let fields = erasable(&t);
        assert_eq!(fields, [("email", Change::Hash), ("name", Change::Null)]);
        let rows = [
            row(7, &[Some("kari@example.no"), Some("Kari")]),
            row(9, &[Some("ola@example.no"), Some("Ola")]),
        ];
        let Decision::Update(changes) = decide(&t, &fields, &rows[0]) else {
            panic!("a held table's row is kept");
        };
        let chunk: Vec<&Row> = rows.iter().collect();
        let sql = update_sql(SqlEngine::Postgres, &t, &changes, &chunk, b"k").unwrap();
        assert_eq!(
            sql.text,
            r#"UPDATE "t" SET "email" = CASE "id" WHEN $1 THEN $2 WHEN $3 THEN $4 ELSE "email" END, "name" = NULL WHERE "id" IN ($5, $6)"#
        );
        assert_eq!(
            sql.params,
            [
                Param::Int(7),
                Param::Text(keyed_hash(b"k", "kari@example.no")),
                Param::Int(9),
                Param::Text(keyed_hash(b"k", "ola@example.no")),
                Param::Int(7),
                Param::Int(9),
            ]
        );
        // An already hashed address and a nulled name leave nothing to change.
        let done = row(7, &[Some(&keyed_hash(b"k", "kari@example.no")), None]);
        assert!(matches!(decide(&t, &fields, &done), Decision::Update(c) if c.is_empty()));
    }
}
