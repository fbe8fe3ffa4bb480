//! The baseline: the same lookups and changes written by hand as plain SQL, as a developer who
//! knows this shop's schema would write them — one SELECT per table with JOINs for access, one
//! count per table for the dry run, and for erasure two DELETEs and two UPDATEs in one
//! transaction. The statement texts are the same on both engines; every column is read as text,
//! as `kapsel_connect` reads it (the shop's timestamps have no other decoder here either).

use anyhow::Result;
use sqlx::Row as _;

use crate::sample::Requester;
use crate::shop::Pool;

/// Which values a statement binds: the three identifiers as `$1…$3` (phone may be NULL), or the
/// e-mail address alone as `$1`.
#[derive(Clone, Copy)]
enum Args {
    Who,
    Email,
}

/// The requester's customer rows (alias `c`).
macro_rules! who {
    () => {
        "(c.email = $1 OR c.phone = $2 OR c.customer_no = $3)"
    };
}

/// Access: the declared fields of every table, in the declaration's table order.
const ACCESS: [(&str, Args); 5] = [
    (
        concat!(
            "SELECT CAST(c.address AS TEXT), CAST(c.created_at AS TEXT), c.customer_no, c.email, ",
            "c.name, c.phone FROM customers c WHERE ",
            who!(),
            " ORDER BY c.id"
        ),
        Args::Who,
    ),
    (
        concat!(
            "SELECT o.delivery_address, CAST(o.placed_at AS TEXT), CAST(o.total_cents AS TEXT) ",
            "FROM orders o JOIN customers c ON c.id = o.customer_id WHERE ",
            who!(),
            " ORDER BY o.id"
        ),
        Args::Who,
    ),
    (
        concat!(
            "SELECT CAST(l.price_cents AS TEXT), CAST(l.quantity AS TEXT), l.sku ",
            "FROM order_lines l JOIN orders o ON o.id = l.order_id ",
            "JOIN customers c ON c.id = o.customer_id WHERE ",
            who!(),
            " ORDER BY l.id"
        ),
        Args::Who,
    ),
    (
        "SELECT n.email, CAST(n.subscribed_at AS TEXT), n.topic FROM newsletter_subscriptions n \
         WHERE n.email = $1 ORDER BY n.id",
        Args::Email,
    ),
    (
        concat!(
            "SELECT t.body, CAST(t.opened_at AS TEXT), t.subject ",
            "FROM support_tickets t JOIN customers c ON c.id = t.customer_id WHERE ",
            who!(),
            " ORDER BY t.id"
        ),
        Args::Who,
    ),
];

/// The dry run: per table the rows found and the values erasure would change (column 0 is the
/// row count; the others count non-null values of fields that would be nulled or hashed).
const PLAN: [(&str, Args); 5] = [
    (
        concat!(
            "SELECT count(*), count(c.email), count(c.phone), count(c.name), count(c.address) ",
            "FROM customers c WHERE ",
            who!()
        ),
        Args::Who,
    ),
    (
        concat!(
            "SELECT count(*), count(o.delivery_address) FROM orders o ",
            "JOIN customers c ON c.id = o.customer_id WHERE ",
            who!()
        ),
        Args::Who,
    ),
    (
        concat!(
            "SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id ",
            "JOIN customers c ON c.id = o.customer_id WHERE ",
            who!()
        ),
        Args::Who,
    ),
    (
        "SELECT count(*) FROM newsletter_subscriptions n WHERE n.email = $1",
        Args::Email,
    ),
    (
        concat!(
            "SELECT count(*) FROM support_tickets t JOIN customers c ON c.id = t.customer_id WHERE ",
            who!()
        ),
        Args::Who,
    ),
];

/// Erasure, in this order in one transaction; the last binds the keyed hash as `$4`.
const ERASE: [(&str, Args); 3] = [
    (
        concat!(
            "DELETE FROM support_tickets WHERE customer_id IN (SELECT c.id FROM customers c WHERE ",
            who!(),
            ")"
        ),
        Args::Who,
    ),
    (
        "DELETE FROM newsletter_subscriptions WHERE email = $1",
        Args::Email,
    ),
    (
        concat!(
            "UPDATE orders SET delivery_address = NULL WHERE delivery_address IS NOT NULL ",
            "AND customer_id IN (SELECT c.id FROM customers c WHERE ",
            who!(),
            ")"
        ),
        Args::Who,
    ),
];
const ERASE_CUSTOMER: &str = "UPDATE customers SET email = $4, phone = NULL, name = NULL, \
     address = NULL WHERE email = $1 OR phone = $2 OR customer_no = $3";

macro_rules! bound {
    ($sql:expr, $args:expr, $r:expr) => {{
        let q = sqlx::query($sql);
        match $args {
            Args::Who => q.bind(&$r.email).bind(&$r.phone).bind(&$r.customer_no),
            Args::Email => q.bind(&$r.email),
        }
    }};
}

/// Runs `$body` with `$conn` bound to one pooled connection of either engine.
macro_rules! on_connection {
    ($pool:expr, |$conn:ident| $body:expr) => {
        match $pool {
            Pool::Pg(p) => {
                let mut held = p.acquire().await?;
                let $conn = &mut *held;
                $body
            }
            Pool::Lite(p) => {
                let mut held = p.acquire().await?;
                let $conn = &mut *held;
                $body
            }
        }
    };
}

/// Access by hand: the rows of each table, every value as text; returns the row counts.
pub async fn access(pool: &Pool, r: &Requester) -> Result<Vec<usize>> {
    let mut counts = Vec::with_capacity(ACCESS.len());
    on_connection!(pool, |conn| {
        for (sql, args) in ACCESS {
            let rows = bound!(sql, args, r).fetch_all(&mut *conn).await?;
            let mut values: Vec<Vec<Option<String>>> = Vec::with_capacity(rows.len());
            for row in &rows {
                let mut one = Vec::with_capacity(row.len());
                for i in 0..row.len() {
                    one.push(row.try_get::<Option<String>, _>(i)?);
                }
                values.push(one);
            }
            counts.push(values.len());
        }
    });
    Ok(counts)
}

/// The dry run by hand: (rows found, values that would change) over all tables.
pub async fn plan(pool: &Pool, r: &Requester) -> Result<(u64, u64)> {
    let (mut found, mut changes) = (0, 0);
    on_connection!(pool, |conn| {
        for (i, (sql, args)) in PLAN.into_iter().enumerate() {
            let row = bound!(sql, args, r).fetch_one(&mut *conn).await?;
            let mut counts = Vec::with_capacity(row.len());
            for c in 0..row.len() {
                counts.push(row.try_get::<i64, _>(c)? as u64);
            }
            let rows = counts.first().copied().unwrap_or(0);
            found += rows;
            changes += match i {
                0 | 1 => counts.iter().skip(1).sum(), // nulled or hashed values
                2 => 0,                               // order lines are held
                _ => rows,                            // deleted rows
            };
        }
    });
    Ok((found, changes))
}

/// Erasure by hand in one transaction (`BEGIN IMMEDIATE` on SQLite, as `kapsel_connect` does);
/// `hash` is the keyed hash of the requester's address. Returns the rows changed.
pub async fn erase(pool: &Pool, r: &Requester, hash: &str) -> Result<u64> {
    let mut changed = 0;
    match pool {
        Pool::Pg(p) => {
            let mut tx = p.begin().await?;
            for (sql, args) in ERASE {
                changed += bound!(sql, args, r)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            changed += bound!(ERASE_CUSTOMER, Args::Who, r)
                .bind(hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
        }
        Pool::Lite(p) => {
            let mut tx = p.begin_with("BEGIN IMMEDIATE").await?;
            for (sql, args) in ERASE {
                changed += bound!(sql, args, r)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            changed += bound!(ERASE_CUSTOMER, Args::Who, r)
                .bind(hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
        }
    }
    Ok(changed)
}
