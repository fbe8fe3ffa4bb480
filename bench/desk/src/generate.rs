//! The fictional shop's schema and data, generated inside the database (generate_series on
//! PostgreSQL, a recursive CTE on SQLite) from formulas of the row number, so both engines hold
//! the same rows and a rerun can tell whether what is there is complete. Names are invented,
//! every address is at example.org. What is generated is recorded last, in `bench_desk_meta`, so
//! an interrupted generation is never mistaken for a finished one.

use std::time::Instant;

use crate::shop::Backend;

/// Bumped whenever the formulas or the schema change, so old databases are regenerated.
pub const GENERATOR: &str = "desk-1";

/// How much of everything: orders are five per customer on average (Poisson-like, 0–20), order
/// lines one to three per order, a ticket per two customers, a newsletter for three in ten
/// customers plus one subscriber in twenty who never bought anything.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub customers: u64,
}

impl Scale {
    pub fn orders(self) -> u64 {
        self.customers * 5
    }
    /// Order `o` has `1 + o % 3` lines.
    pub fn order_lines(self) -> u64 {
        let n = self.orders();
        let full = n / 3;
        let extra: u64 = (1..=n % 3).map(|o| 1 + o % 3).sum();
        full * 6 + extra
    }
    pub fn tickets(self) -> u64 {
        self.customers / 2
    }
    fn readers(self) -> u64 {
        self.customers / 20
    }
}

const FIRST: [&str; 20] = [
    "Kari", "Ola", "Ingrid", "Lars", "Nora", "Emil", "Sofie", "Jakob", "Emma", "Filip", "Maja",
    "Noah", "Ella", "Oskar", "Leah", "Aksel", "Frida", "Henrik", "Selma", "Tobias",
];
const LAST: [&str; 20] = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
];

/// `names[var % 20]` (or `[(var / div) % 20]`) as SQL both engines run: a fixed-width list and
/// `substr`, since SQLite has no arrays.
fn pick(names: &[&str], var: &str, div: u64) -> String {
    let width = names.iter().map(|n| n.len()).max().unwrap_or(1);
    let list: String = names.iter().map(|n| format!("{n:<width$}")).collect();
    let n = names.len();
    format!(
        "rtrim(substr('{list}', CAST(1 + (({var} / {div}) % {n}) * {width} AS INTEGER), {width}))"
    )
}

/// The customer a row number belongs to: a multiplicative mix, so a customer's orders are spread
/// over the table as if placed over the years, and their number varies as a shop's does.
fn mix(x: &str, customers: u64) -> String {
    let h = format!("(({x} * 1103515245 + 12345) % 2147483648)");
    format!("(1 + (({h} * {h} + {x}) % 2147483647) % {customers})")
}

fn email(c: &str) -> String {
    format!(
        "lower({}) || '.' || lower({}) || '.' || {c} || '@example.org'",
        pick(&FIRST, c, 1),
        pick(&LAST, c, 20)
    )
}

/// A timestamp `seconds` after the epoch, in the engine's own type.
fn at(backend: Backend, seconds: &str) -> String {
    match backend {
        Backend::Postgres => format!("to_timestamp({seconds})"),
        Backend::Sqlite => format!("strftime('%Y-%m-%dT%H:%M:%SZ', {seconds}, 'unixepoch')"),
    }
}

/// `INSERT … SELECT <select> FROM <1..=count as var> <rest>` in the engine's way of counting.
fn fill(backend: Backend, var: &str, count: u64, insert: &str, select: &str, rest: &str) -> String {
    fill_range(backend, var, 1, count, insert, select, rest)
}

/// The same over `first..=last`.
fn fill_range(
    backend: Backend,
    var: &str,
    first: u64,
    last: u64,
    insert: &str,
    select: &str,
    rest: &str,
) -> String {
    match backend {
        Backend::Postgres => format!(
            "{insert} SELECT {select} FROM generate_series({first}::bigint, {last}) AS s({var}) {rest}"
        ),
        Backend::Sqlite => format!(
            "WITH RECURSIVE s({var}) AS (SELECT {first} UNION ALL SELECT {var} + 1 FROM s WHERE {var} < {last}) \
             {insert} SELECT {select} FROM s {rest}"
        ),
    }
}

/// Orders `first..=last` of `customer` (an SQL expression of the order number `o`).
fn orders(backend: Backend, first: u64, last: u64, customer: &str) -> String {
    fill_range(
        backend,
        "o",
        first,
        last,
        "INSERT INTO orders (id, customer_id, placed_at, total_cents, delivery_address, status)",
        &format!(
            "o, {customer}, {placed}, 500 + (o * 7919) % 100000, \
             'Leveringsveien ' || (1 + o % 300) || ', ' || (1000 + (o * 13) % 8000) || ' Fiktivby', \
             CASE WHEN o % 10 = 0 THEN 'returned' ELSE 'delivered' END",
            placed = at(backend, "1609459200 + o * 20"),
        ),
        "",
    )
}

/// The lines of orders `first..=last`: `1 + o % 3` each, ids `(o - 1) * 3 + k`.
fn order_lines(backend: Backend, first: u64, last: u64) -> String {
    fill_range(
        backend,
        "o",
        first,
        last,
        "INSERT INTO order_lines (id, order_id, sku, quantity, price_cents)",
        "(o - 1) * 3 + ks.k, o, 'SKU-' || (1 + (o * 31 + ks.k * 17) % 5000), 1 + (o + ks.k) % 4, \
         100 + (o * 13 + ks.k * 7) % 20000",
        "JOIN (SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3) AS ks ON ks.k <= 1 + o % 3",
    )
}

/// `count` more orders (with their lines) for `customer`, numbered from `first`, above every
/// generated order: a business customer with years of orders, for the heavy requesters.
pub fn heavy(backend: Backend, customer: i64, first: u64, count: u64) -> [String; 2] {
    let last = first + count - 1;
    [
        orders(backend, first, last, &customer.to_string()),
        order_lines(backend, first, last),
    ]
}

/// Removes what [`heavy`] added (orders above `generated`, and their lines), so the shop's row
/// counts are the generated ones again.
pub fn unheavy(generated: u64) -> [String; 2] {
    [
        format!("DELETE FROM order_lines WHERE order_id > {generated}"),
        format!("DELETE FROM orders WHERE id > {generated}"),
    ]
}

fn tables(backend: Backend) -> Vec<String> {
    let (int, ts, pk, fk) = match backend {
        // Keys and indexes come after the data on PostgreSQL (faster to build than to maintain).
        Backend::Postgres => ("bigint", "timestamptz", "bigint", ""),
        Backend::Sqlite => ("INTEGER", "TEXT", "INTEGER PRIMARY KEY", "REFERENCES"),
    };
    let refs = |table: &str| {
        if fk.is_empty() {
            String::new()
        } else {
            format!(" {fk} {table} (id)")
        }
    };
    vec![
        format!(
            "CREATE TABLE customers (id {pk} NOT NULL, customer_no TEXT NOT NULL, email TEXT, \
             phone TEXT, name TEXT, address TEXT, created_at {ts} NOT NULL)"
        ),
        format!(
            "CREATE TABLE orders (id {pk} NOT NULL, customer_id {int} NOT NULL{}, \
             placed_at {ts} NOT NULL, total_cents {int} NOT NULL, delivery_address TEXT, \
             status TEXT NOT NULL)",
            refs("customers")
        ),
        format!(
            "CREATE TABLE order_lines (id {pk} NOT NULL, order_id {int} NOT NULL{}, \
             sku TEXT NOT NULL, quantity {int} NOT NULL, price_cents {int} NOT NULL)",
            refs("orders")
        ),
        format!(
            "CREATE TABLE newsletter_subscriptions (id {pk} NOT NULL, email TEXT NOT NULL, \
             topic TEXT NOT NULL, subscribed_at {ts} NOT NULL)"
        ),
        format!(
            "CREATE TABLE support_tickets (id {pk} NOT NULL, customer_id {int} NOT NULL{}, \
             opened_at {ts} NOT NULL, subject TEXT NOT NULL, body TEXT)",
            refs("customers")
        ),
        "CREATE TABLE bench_desk_meta (generator TEXT NOT NULL, customers BIGINT NOT NULL, \
         orders BIGINT NOT NULL, order_lines BIGINT NOT NULL)"
            .to_owned(),
    ]
}

/// The rows, one statement per table, each `(label, sql)`.
fn data(backend: Backend, scale: Scale) -> Vec<(&'static str, String)> {
    let n = scale.customers;
    let customer_no = match backend {
        Backend::Postgres => "'K-' || lpad(c::text, 7, '0')",
        Backend::Sqlite => "printf('K-%07d', c)",
    };
    let customers = fill(
        backend,
        "c",
        n,
        "INSERT INTO customers (id, customer_no, email, phone, name, address, created_at)",
        &format!(
            "c, {customer_no}, {email}, \
             CASE WHEN c % 5 = 0 THEN NULL ELSE '+47' || (40000000 + c) END, \
             {first} || ' ' || {last}, \
             'Eksempelgata ' || (1 + c % 250) || ', ' || (1000 + (c * 7) % 8000) || ' Fiktivby', \
             {created}",
            email = email("c"),
            first = pick(&FIRST, "c", 1),
            last = pick(&LAST, "c", 20),
            created = at(backend, "1577836800 + c * 60"),
        ),
        "",
    );
    let orders = orders(backend, 1, scale.orders(), &mix("o", n));
    let lines = order_lines(backend, 1, scale.orders());
    let newsletter = fill(
        backend,
        "c",
        n,
        "INSERT INTO newsletter_subscriptions (id, email, topic, subscribed_at)",
        &format!(
            "c, {email}, CASE c % 3 WHEN 0 THEN 'weekly' WHEN 1 THEN 'offers' ELSE 'news' END, {at}",
            email = email("c"),
            at = at(backend, "1580000000 + c * 90"),
        ),
        "WHERE c % 10 < 3",
    );
    let readers = fill(
        backend,
        "r",
        scale.readers(),
        "INSERT INTO newsletter_subscriptions (id, email, topic, subscribed_at)",
        &format!(
            "{n} + r, 'reader' || r || '@example.org', 'weekly', {}",
            at(backend, "1590000000 + r * 600")
        ),
        "",
    );
    let tickets = fill(
        backend,
        "t",
        scale.tickets(),
        "INSERT INTO support_tickets (id, customer_id, opened_at, subject, body)",
        &format!(
            "t, {customer}, {opened}, \
             CASE t % 4 WHEN 0 THEN 'Levering' WHEN 1 THEN 'Faktura' WHEN 2 THEN 'Retur' ELSE 'Konto' END, \
             CASE WHEN t % 7 = 0 THEN NULL ELSE 'Hei! Jeg har et spørsmål om bestilling ' || \
             (1 + (t * 37) % {orders}) || '. Kan dere se på den? Vennlig hilsen en fiktiv kunde' END",
            customer = mix(&format!("(t + {})", 10 * n), n),
            opened = at(backend, "1612137600 + t * 180"),
            orders = scale.orders(),
        ),
        "",
    );
    vec![
        ("customers", customers),
        ("orders", orders),
        ("order_lines", lines),
        ("newsletter_subscriptions", newsletter),
        ("newsletter readers", readers),
        ("support_tickets", tickets),
    ]
}

/// The indexes the declaration needs: every identity column and every relation column (and on
/// PostgreSQL the keys, added after the data).
fn indexes(backend: Backend) -> Vec<&'static str> {
    let mut out = Vec::new();
    if backend == Backend::Postgres {
        out.extend([
            "ALTER TABLE customers ADD PRIMARY KEY (id)",
            "ALTER TABLE orders ADD PRIMARY KEY (id)",
            "ALTER TABLE order_lines ADD PRIMARY KEY (id)",
            "ALTER TABLE newsletter_subscriptions ADD PRIMARY KEY (id)",
            "ALTER TABLE support_tickets ADD PRIMARY KEY (id)",
        ]);
    }
    out.extend([
        "CREATE UNIQUE INDEX customers_customer_no ON customers (customer_no)",
        "CREATE INDEX customers_email ON customers (email)",
        "CREATE INDEX customers_phone ON customers (phone)",
        "CREATE INDEX orders_customer_id ON orders (customer_id)",
        "CREATE INDEX order_lines_order_id ON order_lines (order_id)",
        "CREATE INDEX newsletter_subscriptions_email ON newsletter_subscriptions (email)",
        "CREATE INDEX support_tickets_customer_id ON support_tickets (customer_id)",
    ]);
    if backend == Backend::Postgres {
        out.extend([
            "ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id)",
            "ALTER TABLE order_lines ADD FOREIGN KEY (order_id) REFERENCES orders (id)",
            "ALTER TABLE support_tickets ADD FOREIGN KEY (customer_id) REFERENCES customers (id)",
            "ANALYZE",
        ]);
    } else {
        out.extend(["PRAGMA analysis_limit = 10000", "ANALYZE"]);
    }
    out
}

/// Every statement that builds the shop from nothing, each with a label for the progress line.
pub fn script(backend: Backend, scale: Scale) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = tables(backend)
        .into_iter()
        .map(|sql| ("schema".to_owned(), sql))
        .collect();
    out.extend(
        data(backend, scale)
            .into_iter()
            .map(|(label, sql)| (format!("rows of {label}"), sql)),
    );
    out.extend(indexes(backend).into_iter().map(|sql| {
        (
            sql.split(" ON ").next().unwrap_or(sql).to_owned(),
            sql.to_owned(),
        )
    }));
    out.push((
        "done".to_owned(),
        format!(
            "INSERT INTO bench_desk_meta VALUES ('{GENERATOR}', {}, {}, {})",
            scale.customers,
            scale.orders(),
            scale.order_lines()
        ),
    ));
    out
}

/// Prints one finished step of the generation to stderr.
pub fn progress(label: &str, rows: u64, step: Instant, started: Instant) {
    if label == "schema" {
        return;
    }
    // SQLite reports the last insert's count for statements that change no rows.
    let rows = if label.starts_with("rows of ") {
        format!("{rows} rows, ")
    } else {
        String::new()
    };
    eprintln!(
        "  {label}: {rows}{:.1} s (total {:.0} s)",
        step.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_count_follows_the_formula() {
        for customers in [1, 2, 7, 1000] {
            let scale = Scale { customers };
            let direct: u64 = (1..=scale.orders()).map(|o| 1 + o % 3).sum();
            assert_eq!(scale.order_lines(), direct, "{customers}");
        }
    }
}
