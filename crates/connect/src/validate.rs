//! Checks a [`DatasetSpec`] before any SQL is built from it. Every identifier that reaches a
//! query comes from a validated spec, so a plain-identifier rule here is what keeps table and
//! column names out of injection's reach (values are always bound). Every problem is reported
//! at once, each with the path that names it, so an operator fixes the file in one pass.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::spec::{DatasetSpec, Erasure, TableSpec};

/// One thing wrong with a spec, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// E.g. `datasets[shop].tables[orders].belongs_to[0].table`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// `[A-Za-z_][A-Za-z0-9_]{0,62}`: safe unquoted and quoted in every engine, and within
/// PostgreSQL's 63-byte limit.
pub fn is_plain_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    s.len() <= 63 && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl DatasetSpec {
    /// Every problem in the spec; empty when it may be used.
    pub fn validate(&self) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let root = format!("datasets[{}]", self.id);
        let mut say = |path: String, message: String| problems.push(Problem { path, message });
        if self.id.trim().is_empty() {
            say("datasets[].id".into(), "is empty".into());
        }
        if self.connection.trim().is_empty() {
            say(format!("{root}.connection"), "is empty".into());
        }
        if self.tables.is_empty() {
            say(format!("{root}.tables"), "declares no table".into());
        }
        let mut seen = BTreeSet::new();
        for table in &self.tables {
            let at = format!("{root}.tables[{}]", table.name);
            if !seen.insert(table.name.as_str()) {
                say(at.clone(), "is declared twice".into());
            }
            table_problems(self, table, &at, &mut say);
        }
        if let Some(cycle) = find_cycle(self) {
            say(
                format!(
                    "{root}.tables[{}].belongs_to",
                    cycle.first().map_or("", |s| s)
                ),
                format!("relations form a cycle: {}", cycle.join(" → ")),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Table names with every parent before its children (relations point child → parent).
    /// Erasure walks it backwards so children go before the rows they reference. Only
    /// meaningful on a validated (acyclic) spec.
    pub fn parents_first(&self) -> Vec<&TableSpec> {
        let mut order: Vec<&TableSpec> = Vec::new();
        let mut placed = BTreeSet::new();
        while order.len() < self.tables.len() {
            let before = order.len();
            for table in &self.tables {
                if placed.contains(table.name.as_str()) {
                    continue;
                }
                let ready = table
                    .belongs_to
                    .iter()
                    .all(|r| placed.contains(r.table.as_str()) || self.table(&r.table).is_none());
                if ready {
                    placed.insert(table.name.as_str());
                    order.push(table);
                }
            }
            if order.len() == before {
                break; // a cycle: validate reports it
            }
        }
        order
    }
}

fn table_problems(
    spec: &DatasetSpec,
    table: &TableSpec,
    at: &str,
    say: &mut impl FnMut(String, String),
) {
    let mut ident = |path: String, value: &str| {
        if !is_plain_identifier(value) {
            say(
                path,
                format!("{value:?} is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]{{0,62}})"),
            );
            false
        } else {
            true
        }
    };
    ident(format!("{at}.name"), &table.name);
    ident(format!("{at}.primary_key"), &table.primary_key);
    for column in table.identity.keys() {
        ident(format!("{at}.identity.{column}"), column);
    }
    for (i, rel) in table.belongs_to.iter().enumerate() {
        ident(format!("{at}.belongs_to[{i}].column"), &rel.column);
        ident(format!("{at}.belongs_to[{i}].table"), &rel.table);
        ident(format!("{at}.belongs_to[{i}].references"), &rel.references);
    }
    for column in table.fields.keys() {
        ident(format!("{at}.fields.{column}"), column);
    }
    for (column, kind) in &table.identity {
        if kind.trim().is_empty() {
            say(
                format!("{at}.identity.{column}"),
                "names no identifier kind".into(),
            );
        }
    }
    for (i, rel) in table.belongs_to.iter().enumerate() {
        match spec.table(&rel.table) {
            None => say(
                format!("{at}.belongs_to[{i}].table"),
                format!("table {:?} is not declared in this dataset", rel.table),
            ),
            Some(parent) if !parent.known_columns().contains(&rel.references.as_str()) => say(
                format!("{at}.belongs_to[{i}].references"),
                format!(
                    "column {:?} is not declared for table {:?}",
                    rel.references, rel.table
                ),
            ),
            Some(_) => {}
        }
    }
    if table.identity.is_empty() && table.belongs_to.is_empty() {
        say(
            at.to_owned(),
            "has no identity column and no relation, so no requester's rows can be found in it"
                .into(),
        );
    }
    let deletes = table.deletes_rows();
    for (column, field) in &table.fields {
        let path = format!("{at}.fields.{column}.erasure");
        match &field.erasure {
            Erasure::Hold { ground } if ground.trim().is_empty() => {
                say(path.clone(), "a hold needs its legal ground".into());
            }
            Erasure::Hold { .. } if deletes => say(
                path.clone(),
                "is held, but another field deletes the row; a held row must be kept".into(),
            ),
            Erasure::SetNull | Erasure::KeyedHash if *column == table.primary_key => say(
                path.clone(),
                "the primary key addresses the row; delete the row or hold it".into(),
            ),
            _ => {}
        }
        if field.category.trim().is_empty() {
            say(format!("{at}.fields.{column}.category"), "is empty".into());
        }
        if field.activity.trim().is_empty() {
            say(format!("{at}.fields.{column}.activity"), "is empty".into());
        }
    }
    // Deleting a parent while a kept child still references it would break the child (or fail
    // on a foreign key halfway through the erasure).
    if deletes {
        for child in &spec.tables {
            for (i, rel) in child.belongs_to.iter().enumerate() {
                let nulled = child
                    .fields
                    .get(&rel.column)
                    .is_some_and(|f| f.erasure == Erasure::SetNull);
                if rel.table == table.name && !child.deletes_rows() && !nulled {
                    say(
                        format!(
                            "datasets[{}].tables[{}].belongs_to[{i}]",
                            spec.id, child.name
                        ),
                        format!(
                            "rows of {:?} are deleted, but {:?} keeps {:?} referencing them; delete the child rows or set {:?} null",
                            table.name, child.name, rel.column, rel.column
                        ),
                    );
                }
            }
        }
    }
}

/// A cycle of relations as table names (first repeated at the end), if any.
fn find_cycle(spec: &DatasetSpec) -> Option<Vec<String>> {
    let edges: BTreeMap<&str, Vec<&str>> = spec
        .tables
        .iter()
        .map(|t| {
            let parents = t.belongs_to.iter().map(|r| r.table.as_str()).collect();
            (t.name.as_str(), parents)
        })
        .collect();
    fn visit<'a>(
        node: &'a str,
        edges: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = stack.iter().position(|n| *n == node) {
            let mut cycle: Vec<String> = stack.iter().skip(pos).map(|s| s.to_string()).collect();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if !done.insert(node) {
            return None;
        }
        stack.push(node);
        for parent in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(parent, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Engine, FieldSpec, Relation};

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
        }
    }

    fn paths(spec: &DatasetSpec) -> Vec<String> {
        spec.validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.path)
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
        assert_eq!(paths(&bad), ["datasets[shop].tables[orders].belongs_to[0]"]);
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
                "datasets[shop].tables[customers].fields.email.erasure",
                "datasets[shop].tables[customers].fields.id.erasure",
                "datasets[shop].tables[audit]",
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
}
