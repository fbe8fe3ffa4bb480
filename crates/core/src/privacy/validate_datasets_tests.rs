//! Tests of `validate_datasets`: plain identifiers, relations, holds and cycles.
use super::*;
use crate::privacy::dataset::{FieldSpec, Relation};

fn field(erasure: Erasure) -> FieldSpec {
    FieldSpec {
        category: "contact".into(),
        activity: "orders".into(),
        erasure,
    }
}

fn table(name: &str, parent: Option<&str>, fields: &[(&str, Erasure)]) -> TableSpec {
    TableSpec {
        name: name.into(),
        primary_key: "id".into(),
        identity: if parent.is_none() {
            [("email".to_owned(), "email".to_owned())].into()
        } else {
            Default::default()
        },
        belongs_to: parent
            .map(|p| Relation {
                column: format!("{p}_id"),
                table: p.into(),
                references: "id".into(),
            })
            .into_iter()
            .collect(),
        fields: fields
            .iter()
            .map(|(c, e)| (c.to_string(), field(e.clone())))
            .collect(),
    }
}

fn spec(tables: Vec<TableSpec>) -> DatasetSpec {
    DatasetSpec {
        id: "shop".into(),
        connection: "db".into(),
        engine: Engine::Sqlite,
        tables,
        identifiers: Vec::new(),
        instructions: None,
    }
}

fn paths(spec: &DatasetSpec) -> Vec<String> {
    spec.validate()
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.path.to_string())
        .collect()
}

#[test]
fn identifiers_are_plain() {
    for ok in ["a", "_x", "Customer_No2", &"a".repeat(63)] {
        assert!(is_plain_identifier(ok), "{ok}");
    }
    for bad in [
        "",
        "1a",
        "a-b",
        "a b",
        "a\"",
        "a`",
        "a;",
        "ø",
        &"a".repeat(64),
    ] {
        assert!(!is_plain_identifier(bad), "{bad}");
    }
}

#[test]
fn deleting_a_parent_under_a_kept_child_is_refused() {
    let bad = spec(vec![
        table("customers", None, &[("email", Erasure::DeleteRow)]),
        table(
            "orders",
            Some("customers"),
            &[(
                "total",
                Erasure::Hold {
                    ground: "bokføringsloven".into(),
                },
            )],
        ),
    ]);
    assert_eq!(paths(&bad), ["datasets.shop.tables[1].belongs_to[0]"]);
    // Nulling the reference (or deleting the children too) makes it consistent.
    let nulled = spec(vec![
        table("customers", None, &[("email", Erasure::DeleteRow)]),
        table(
            "orders",
            Some("customers"),
            &[
                ("customers_id", Erasure::SetNull),
                ("total", Erasure::SetNull),
            ],
        ),
    ]);
    assert_eq!(paths(&nulled), Vec::<String>::new());
}

#[test]
fn primary_keys_unfindable_tables_and_empty_grounds_are_refused() {
    let mut orphan = table("audit", None, &[("note", Erasure::SetNull)]);
    orphan.identity.clear();
    let bad = spec(vec![
        table(
            "customers",
            None,
            &[
                ("id", Erasure::KeyedHash),
                ("email", Erasure::Hold { ground: " ".into() }),
            ],
        ),
        orphan,
    ]);
    assert_eq!(
        paths(&bad),
        [
            "datasets.shop.tables[0].fields.email.erasure",
            "datasets.shop.tables[0].fields.id.erasure",
            "datasets.shop.tables[1].name",
        ]
    );
}

#[test]
fn cycles_are_named_and_the_order_puts_parents_first() {
    let mut a = table("a", Some("c"), &[]);
    a.identity = [("email".to_owned(), "email".to_owned())].into();
    let cyclic = spec(vec![
        a,
        table("b", Some("a"), &[]),
        table("c", Some("b"), &[]),
    ]);
    let problems = cyclic.validate().unwrap_err();
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("cycle: a → c → b → a")),
        "{problems:?}"
    );
    let tree = spec(vec![
        table("lines", Some("orders"), &[]),
        table("orders", Some("customers"), &[]),
        table("customers", None, &[]),
    ]);
    let order: Vec<&str> = tree
        .parents_first()
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(order, ["customers", "orders", "lines"]);
}
