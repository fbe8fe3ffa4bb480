//! Erasure of a requester with thousands of kept rows. Erasure changes kept rows in batches (at
//! most 500 rows a statement, 333 when a field is hashed as well), so Kari's 2,900 deliveries are
//! laid out to straddle those boundaries: groups of exactly four full statements, of one full and
//! one single row, of one full hashed statement and one row, and rows with nothing left to change,
//! with other customers' deliveries interleaved by id. What the database holds afterwards is
//! compared row by row with what it must hold.

use std::collections::{BTreeMap, BTreeSet};

use kapsel_connect::{DatasetSpec, Engine, Error, erase, erasure_plan, keyed_hash};

use crate::{Db, GROUND, KEY, Snapshot, TABLES, shops, subject};

/// The deliveries of an order: kept for accounting, their addressee erased.
const DELIVERIES: &str = r#"
[[tables]]
name = "deliveries"
primary_key = "id"
belongs_to = [{ column = "order_id", table = "orders", references = "id" }]
[tables.fields]
shipped_on = { category = "purchase", activity = "accounting", erasure = { hold = { ground = "bokføringsloven § 13: 5 years after the financial year" } } }
address = { category = "address", activity = "orders", erasure = "set_null" }
recipient = { category = "identity", activity = "orders", erasure = "set_null" }
tracking_email = { category = "contact", activity = "orders", erasure = "keyed_hash" }
"#;

/// Notes on a delivery, deleted with the requester (erased before the deliveries they hang on).
const NOTES: &str = r#"
[[tables]]
name = "delivery_notes"
primary_key = "id"
belongs_to = [{ column = "delivery_id", table = "deliveries", references = "id" }]
[tables.fields]
note = { category = "correspondence", activity = "orders", erasure = "delete_row" }
"#;

const DELIVERY_COLUMNS: &[&str] = &[
    "id",
    "order_id",
    "shipped_on",
    "address",
    "recipient",
    "tracking_email",
];
const NOTE_COLUMNS: &[&str] = &["id", "delivery_id", "note"];

/// Kari's deliveries; the others' are interleaved among them by id.
const KARIS: usize = 2900;

/// What Kari's `k`th delivery holds before the erasure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Address and recipient (2,000 rows: four full statements).
    Named,
    /// The address only (491 rows, with the next 10 a group of 501: a full statement and one row).
    AddressOnly,
    /// The address, and a tracking address already hashed by an earlier run (10 rows).
    Rehashed,
    /// Address, recipient and tracking address (334 rows, hashed: 333 a statement and one more).
    Tracked,
    /// Nothing left to change (65 rows).
    Bare,
}

fn kind(k: usize) -> Kind {
    match k {
        0..2000 => Kind::Named,
        2000..2491 => Kind::AddressOnly,
        2491..2501 => Kind::Rehashed,
        2501..2835 => Kind::Tracked,
        _ => Kind::Bare,
    }
}

/// The deliveries table as generated: id → row before, and Kari's ids in order.
struct Deliveries {
    before: BTreeMap<String, Vec<Option<String>>>,
    karis: Vec<String>,
}

impl Deliveries {
    /// The table as it must be after Kari's erasure.
    fn after(&self) -> BTreeMap<String, Vec<Option<String>>> {
        let mut after = self.before.clone();
        for (k, id) in self.karis.iter().enumerate() {
            let Some(row) = after.get_mut(id) else {
                continue;
            };
            row[3] = None;
            row[4] = None;
            if kind(k) == Kind::Tracked {
                row[5] = row[5].as_deref().map(|v| keyed_hash(KEY, v));
            }
        }
        after
    }
}

fn literal(value: &Option<String>) -> String {
    value
        .as_deref()
        .map_or_else(|| "NULL".to_owned(), |v| format!("'{v}'"))
}

/// Adds the deliveries (and with `notes`, three notes on Kari's first deliveries) to the shop and
/// its declaration.
async fn with_deliveries(db: &Db, notes: bool) -> (DatasetSpec, Deliveries) {
    db.exec(
        "CREATE TABLE deliveries (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL, \
         shipped_on VARCHAR(10) NOT NULL, address VARCHAR(255), recipient VARCHAR(255), \
         tracking_email VARCHAR(255), FOREIGN KEY (order_id) REFERENCES orders (id))",
    )
    .await;
    db.exec("CREATE INDEX deliveries_order ON deliveries (order_id)")
        .await;
    let mut before = BTreeMap::new();
    let mut karis = Vec::new();
    let mut n = 0_i64;
    while karis.len() < KARIS {
        let id = 5000 + n;
        let (order, row) = match n % 11 {
            // Ola's and Per's deliveries hold everything, and must keep it.
            5 | 8 => (
                if n % 11 == 5 { 12 } else { 13 },
                [
                    Some(format!("Gate {n}, 0150 Oslo")),
                    Some(format!("Mottaker {n}")),
                    Some(format!("spor+{n}@example.no")),
                ],
            ),
            _ => {
                let k = karis.len();
                let address = Some(format!("Gate {n}, 5003 Bergen"));
                let recipient = Some(format!("Kari Nordmann {n}"));
                let tracking = Some(format!("kari+{n}@example.no"));
                let row = match kind(k) {
                    Kind::Named => [address, recipient, None],
                    Kind::AddressOnly => [address, None, None],
                    Kind::Rehashed => [
                        address,
                        None,
                        Some(keyed_hash(
                            b"an earlier key",
                            &format!("kari+{n}@example.no"),
                        )),
                    ],
                    Kind::Tracked => [address, recipient, tracking],
                    Kind::Bare => [None, None, None],
                };
                karis.push(id.to_string());
                (10 + (k as i64 % 2), row)
            }
        };
        let [address, recipient, tracking] = row;
        before.insert(
            id.to_string(),
            vec![
                Some(id.to_string()),
                Some(order.to_string()),
                Some("2026-04-01".to_owned()),
                address,
                recipient,
                tracking,
            ],
        );
        n += 1;
    }
    let rows: Vec<&Vec<Option<String>>> = before.values().collect();
    for chunk in rows.chunks(400) {
        let values: Vec<String> = chunk
            .iter()
            .map(|row| {
                let list: Vec<String> = row.iter().map(literal).collect();
                format!("({})", list.join(", "))
            })
            .collect();
        db.exec(&format!(
            "INSERT INTO deliveries ({}) VALUES {}",
            DELIVERY_COLUMNS.join(", "),
            values.join(", ")
        ))
        .await;
    }
    let mut spec = db.spec.clone();
    let mut extra: DatasetSpec = toml::from_str(&format!(
        "id = \"x\"\nconnection = \"x\"\nengine = \"sqlite\"\n{DELIVERIES}{}",
        if notes { NOTES } else { "" }
    ))
    .unwrap();
    spec.tables.append(&mut extra.tables);
    if notes {
        db.exec(
            "CREATE TABLE delivery_notes (id BIGINT PRIMARY KEY, delivery_id BIGINT NOT NULL, \
             note VARCHAR(255) NOT NULL, FOREIGN KEY (delivery_id) REFERENCES deliveries (id))",
        )
        .await;
        db.exec(&format!(
            "INSERT INTO delivery_notes VALUES (1, {}, 'Ring på'), (2, {}, 'Bak huset'), \
             (3, {}, 'Naboen tar imot')",
            karis[0], karis[1], karis[2]
        ))
        .await;
    }
    (spec, Deliveries { before, karis })
}

/// The shop's tables and the deliveries (and notes).
fn all_tables(notes: bool) -> Vec<(&'static str, &'static [&'static str])> {
    let mut tables = TABLES.to_vec();
    tables.push(("deliveries", DELIVERY_COLUMNS));
    if notes {
        tables.push(("delivery_notes", NOTE_COLUMNS));
    }
    tables
}

/// The whole shop as it must be after Kari's erasure: her customer row hashed and nulled, her
/// newsletter subscription, tickets and notes gone, her deliveries as [`Deliveries::after`], and
/// everything else as it was.
fn erased(before: &Snapshot, deliveries: &Deliveries) -> Snapshot {
    let mut expected = before.clone();
    expected.insert("deliveries".into(), deliveries.after());
    let kari = [
        Some("1".into()),
        Some("K-1001".into()),
        Some(keyed_hash(KEY, "kari@example.no")),
        None,
        None,
        None,
    ];
    expected
        .get_mut("customers")
        .unwrap()
        .insert("1".into(), kari.to_vec());
    for (table, id) in [
        ("newsletter_subscriptions", "200"),
        ("support_tickets", "300"),
        ("support_tickets", "302"),
    ] {
        expected.get_mut(table).unwrap().remove(id);
    }
    if let Some(notes) = expected.get_mut("delivery_notes") {
        notes.clear();
    }
    expected
}

/// The first rows where two snapshots differ, as "table id: actual ≠ expected", so that a failure
/// shows the few rows that are wrong rather than thousands that are right.
fn differences(actual: &Snapshot, expected: &Snapshot) -> Vec<String> {
    let none = BTreeMap::new();
    let mut found = Vec::new();
    let tables: BTreeSet<&String> = actual.keys().chain(expected.keys()).collect();
    for table in tables {
        let (a, e) = (
            actual.get(table).unwrap_or(&none),
            expected.get(table).unwrap_or(&none),
        );
        let ids: BTreeSet<&String> = a.keys().chain(e.keys()).collect();
        for id in ids {
            if a.get(id) != e.get(id) && found.len() < 5 {
                found.push(format!("{table} {id}: {:?} ≠ {:?}", a.get(id), e.get(id)));
            }
        }
    }
    found
}

#[tokio::test]
async fn thousands_of_kept_rows_are_erased_in_batches_exactly_and_once() {
    for db in shops("erase batched").await {
        let engine = db.engine();
        let (spec, deliveries) = with_deliveries(&db, false).await;
        let tables = all_tables(false);
        let before = db.snapshot_of(&tables).await;
        let generated = Snapshot::from([("deliveries".into(), deliveries.before.clone())]);
        let only = Snapshot::from([("deliveries".into(), before["deliveries"].clone())]);
        let wrong = differences(&only, &generated);
        assert!(wrong.is_empty(), "{engine:?}: inserted {wrong:#?}");
        let kari = subject(&[("email", "kari@example.no"), ("customer_no", "K-1001")]);

        let plan = erasure_plan(&spec, &db.conn, &kari).await.unwrap();
        let wrong = differences(&db.snapshot_of(&tables).await, &before);
        assert!(
            wrong.is_empty(),
            "{engine:?}: the dry run changed {wrong:#?}"
        );
        let counts = plan
            .tables
            .iter()
            .find(|t| t.table == "deliveries")
            .unwrap();
        assert_eq!(
            (
                counts.rows_found,
                counts.rows_updated,
                counts.rows_held,
                counts.rows_deleted
            ),
            (KARIS as u64, 2835, KARIS as u64, 0),
            "{engine:?}"
        );
        assert_eq!(counts.hold_grounds, [GROUND]);
        assert_eq!(
            counts.set_null,
            BTreeMap::from([("address".into(), 2835), ("recipient".into(), 2334)]),
            "{engine:?}"
        );
        assert_eq!(
            counts.keyed_hash,
            BTreeMap::from([("tracking_email".into(), 334)]),
            "{engine:?}"
        );

        let outcome = erase(&spec, &db.conn, &kari, KEY).await.unwrap();
        assert_eq!(outcome.tables, plan.tables, "{engine:?}");
        let after = db.snapshot_of(&tables).await;
        let wrong = differences(&after, &erased(&before, &deliveries));
        assert!(wrong.is_empty(), "{engine:?}: {wrong:#?}");

        let plan = erasure_plan(&spec, &db.conn, &kari).await.unwrap();
        assert_eq!(plan.changes(), 0, "{engine:?}: {plan:?}");
        let again = erase(&spec, &db.conn, &kari, KEY).await.unwrap();
        assert_eq!(again.tables, plan.tables, "{engine:?}");
        assert_eq!(again.changes(), 0, "{engine:?}");
        let wrong = differences(&db.snapshot_of(&tables).await, &after);
        assert!(
            wrong.is_empty(),
            "{engine:?}: the second run changed {wrong:#?}"
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_kept_row_vanishing_mid_erasure_rolls_all_of_it_back() {
    for db in shops("erase vanishing").await {
        let engine = db.engine();
        let (spec, deliveries) = with_deliveries(&db, true).await;
        // Deleting Kari's notes (erased first) deletes the last of her 2,000 named deliveries,
        // which the fourth UPDATE of that group then misses, after earlier ones changed rows.
        let vanishing = &deliveries.karis[1999];
        let (create, drop): (Vec<String>, &str) = match engine {
            Engine::Postgres => (
                vec![
                    format!(
                        "CREATE FUNCTION vanish() RETURNS trigger LANGUAGE plpgsql AS \
                         $$ BEGIN DELETE FROM deliveries WHERE id = {vanishing}; RETURN NULL; END $$"
                    ),
                    "CREATE TRIGGER vanish AFTER DELETE ON delivery_notes \
                     FOR EACH STATEMENT EXECUTE FUNCTION vanish()"
                        .to_owned(),
                ],
                "DROP TRIGGER vanish ON delivery_notes",
            ),
            Engine::Mysql => (
                vec![format!(
                    "CREATE TRIGGER vanish AFTER DELETE ON delivery_notes FOR EACH ROW \
                     DELETE FROM deliveries WHERE id = {vanishing}"
                )],
                "DROP TRIGGER vanish",
            ),
            _ => (
                vec![format!(
                    "CREATE TRIGGER vanish AFTER DELETE ON delivery_notes \
                     BEGIN DELETE FROM deliveries WHERE id = {vanishing}; END"
                )],
                "DROP TRIGGER vanish",
            ),
        };
        for sql in &create {
            db.exec(sql).await;
        }
        let tables = all_tables(true);
        let before = db.snapshot_of(&tables).await;
        let kari = subject(&[("email", "kari@example.no")]);
        let plan = erasure_plan(&spec, &db.conn, &kari).await.unwrap();

        match erase(&spec, &db.conn, &kari, KEY).await {
            Err(Error::Changed(table)) => assert_eq!(table, "deliveries", "{engine:?}"),
            other => panic!("{engine:?}: {other:?}"),
        }
        let wrong = differences(&db.snapshot_of(&tables).await, &before);
        assert!(
            wrong.is_empty(),
            "{engine:?}: a failed erasure left {wrong:#?}"
        );

        // Without the trigger the same erasure goes through as planned.
        db.exec(drop).await;
        let outcome = erase(&spec, &db.conn, &kari, KEY).await.unwrap();
        assert_eq!(outcome.tables, plan.tables, "{engine:?}");
        let wrong = differences(
            &db.snapshot_of(&tables).await,
            &erased(&before, &deliveries),
        );
        assert!(wrong.is_empty(), "{engine:?}: {wrong:#?}");
        db.finish().await;
    }
}
