//! Checks of `[[datasets]]`, before any SQL is built from one. Every identifier that reaches a
//! query comes from a validated spec, so the plain-identifier rule here is what keeps table and
//! column names out of injection's reach (values are always bound). Every problem is reported
//! at once with the path of what it is about, so an operator fixes the file in one pass:
//! `kapsel check` places them at their line, `kapsel_connect` refuses a spec that has any.

use std::collections::{BTreeMap, BTreeSet};

use super::dataset::{DatasetSpec, Engine, Erasure, TableSpec};
use super::locate::FieldPath;
use super::model::PrivacyFile;
use super::validate::{PathProblem, list};

/// The identifier every request carries, so no `[[identifiers]]` entry declares it.
pub const EMAIL: &str = "email";

/// `[[datasets]]` and `[[identifiers]]` against each other and the file: each dataset on its
/// own ([`DatasetSpec::problems`]), every field's activity declared, every identity kind
/// `email` or a declared identifier. (Duplicate ids are `validate`'s, as for every list.)
pub fn check_datasets(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    let root = FieldPath::root();
    let kinds: Vec<&str> = std::iter::once(EMAIL)
        .chain(
            file.identifiers
                .iter()
                .map(|i| i.id.as_str())
                .filter(|id| *id != EMAIL),
        )
        .collect();
    for (i, identifier) in file.identifiers.iter().enumerate() {
        if identifier.id == EMAIL {
            findings.push(PathProblem::at(
                root.key("identifiers").index(i).key("id"),
                "`email` is always asked for and is not declared as an identifier".into(),
                "remove this entry",
            ));
        }
    }
    let activities: Vec<&str> = file.activities.iter().map(|a| a.id.as_str()).collect();
    for (d, dataset) in file.datasets.iter().enumerate() {
        let at = root.key("datasets").index(d);
        findings.extend(dataset.problems(&at));
        let unknown_kind = |kind: &str| !kind.trim().is_empty() && !kinds.contains(&kind);
        let kind_hint = format!(
            "use one of {} or declare it under [[identifiers]]",
            list(&kinds)
        );
        for (k, kind) in dataset.identifiers.iter().enumerate() {
            if unknown_kind(kind) {
                findings.push(PathProblem::at(
                    at.key("identifiers").index(k),
                    format!("identifier `{kind}` is not declared"),
                    &kind_hint,
                ));
            }
        }
        for (t, table) in dataset.tables.iter().enumerate() {
            let table_at = at.key("tables").index(t);
            for (column, kind) in &table.identity {
                if unknown_kind(kind) {
                    findings.push(PathProblem::at(
                        table_at.key("identity").key(column),
                        format!("identifier `{kind}` is not declared"),
                        &kind_hint,
                    ));
                }
            }
            for (column, field) in &table.fields {
                let activity = field.activity.as_str();
                if !activity.trim().is_empty() && !activities.contains(&activity) {
                    findings.push(PathProblem::at(
                        table_at.key("fields").key(column).key("activity"),
                        format!("activity `{activity}` is not declared"),
                        &if activities.is_empty() {
                            "declare it under [[activities]]".to_owned()
                        } else {
                            format!("use one of {}", list(&activities))
                        },
                    ));
                }
            }
        }
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

const IDENT_HINT: &str = "table and column names are plain SQL identifiers: letters, digits, `_`";

impl DatasetSpec {
    /// Every problem in the spec on its own, with paths from `datasets[]`; empty when it may be
    /// used. (The file-level checks — unique ids, known activities and identifiers — are
    /// [`check_datasets`]'s.)
    pub fn validate(&self) -> Result<(), Vec<PathProblem>> {
        let problems = self.problems(&FieldPath::root().key("datasets").key(&self.id));
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Every problem in the spec, with paths under `at`.
    pub fn problems(&self, at: &FieldPath) -> Vec<PathProblem> {
        let mut problems = Vec::new();
        let mut say = |path: FieldPath, message: String, hint: &str| {
            problems.push(PathProblem::at(path, message, hint));
        };
        if self.id.trim().is_empty() {
            say(
                at.key("id"),
                "the dataset id is empty".into(),
                "name the dataset",
            );
        }
        if self.engine == Engine::Manual {
            if self
                .instructions
                .as_deref()
                .is_none_or(|i| i.trim().is_empty())
            {
                say(
                    at.key("instructions"),
                    "a manual dataset needs its `instructions`".into(),
                    "say what the person handling a request must do in that system",
                );
            }
        } else if self.connection.trim().is_empty() {
            say(
                at.key("connection"),
                format!("a {} dataset needs its `connection`", self.engine.as_str()),
                "name the `[connectors.NAME]` in the settings that holds its URL and credentials",
            );
        }
        if self.engine.is_sql() {
            if self.tables.is_empty() {
                say(
                    at.key("tables"),
                    "the dataset declares no table".into(),
                    "declare its tables as `[[datasets.tables]]`",
                );
            }
            if !self.identifiers.is_empty() {
                say(
                    at.key("identifiers"),
                    "a SQL dataset finds requesters by its tables' `identity` columns".into(),
                    "remove `identifiers`; declare `identity` on the tables",
                );
            }
        } else {
            if !self.tables.is_empty() {
                say(
                    at.key("tables"),
                    format!(
                        "a {} dataset has no tables Kapsel queries",
                        self.engine.as_str()
                    ),
                    "remove `tables`, or declare the dataset on its SQL engine",
                );
            }
            if self.engine == Engine::Webhook && self.identifiers.is_empty() {
                say(
                    at.key("identifiers"),
                    "a webhook dataset needs the identifier kinds it is sent".into(),
                    "e.g. `identifiers = [\"email\"]`",
                );
            }
        }
        if self.engine != Engine::Manual && self.instructions.is_some() {
            say(
                at.key("instructions"),
                "only a manual dataset has `instructions`".into(),
                "remove it",
            );
        }
        let mut seen = BTreeSet::new();
        let sql_tables = if self.engine.is_sql() {
            self.tables.as_slice()
        } else {
            &[]
        };
        for (index, table) in sql_tables.iter().enumerate() {
            let table_at = at.key("tables").index(index);
            if !seen.insert(table.name.as_str()) {
                say(
                    table_at.key("name"),
                    format!("table `{}` is declared twice", table.name),
                    "declare each table once",
                );
            }
            table_problems(self, table, &table_at, at, &mut say);
        }
        if let Some(cycle) = find_cycle(self) {
            let first = cycle.first().map_or("", String::as_str);
            let index = self
                .tables
                .iter()
                .position(|t| t.name == first)
                .unwrap_or(0);
            say(
                at.key("tables").index(index).key("belongs_to"),
                format!("relations form a cycle: {}", cycle.join(" → ")),
                "relations point from a child to its parent; one of them is the wrong way round",
            );
        }
        problems
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
    at: &FieldPath,
    dataset_at: &FieldPath,
    say: &mut impl FnMut(FieldPath, String, &str),
) {
    let mut ident = |path: FieldPath, value: &str| {
        if !is_plain_identifier(value) {
            say(
                path,
                format!("`{value}` is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]{{0,62}})"),
                IDENT_HINT,
            );
        }
    };
    ident(at.key("name"), &table.name);
    ident(at.key("primary_key"), &table.primary_key);
    for column in table.identity.keys() {
        ident(at.key("identity").key(column), column);
    }
    for (i, rel) in table.belongs_to.iter().enumerate() {
        let rel_at = at.key("belongs_to").index(i);
        ident(rel_at.key("column"), &rel.column);
        ident(rel_at.key("table"), &rel.table);
        ident(rel_at.key("references"), &rel.references);
    }
    for column in table.fields.keys() {
        ident(at.key("fields").key(column), column);
    }
    for (column, kind) in &table.identity {
        if kind.trim().is_empty() {
            say(
                at.key("identity").key(column),
                format!("identity column `{column}` names no identifier kind"),
                "name what it holds: `email`, or an id from `[[identifiers]]`",
            );
        }
    }
    for (i, rel) in table.belongs_to.iter().enumerate() {
        let rel_at = at.key("belongs_to").index(i);
        match spec.table(&rel.table) {
            None => say(
                rel_at.key("table"),
                format!("table `{}` is not declared in this dataset", rel.table),
                "declare the parent table too, or remove the relation",
            ),
            Some(parent) if !parent.known_columns().contains(&rel.references.as_str()) => say(
                rel_at.key("references"),
                format!(
                    "column `{}` is not declared for table `{}`",
                    rel.references, rel.table
                ),
                "reference the parent's primary key or another declared column",
            ),
            Some(_) => {}
        }
    }
    if table.identity.is_empty() && table.belongs_to.is_empty() {
        say(
            at.key("name"),
            format!(
                "table `{}` has no identity column and no relation, so no requester's rows can be found in it",
                table.name
            ),
            "declare `identity` or `belongs_to`",
        );
    }
    let deletes = table.deletes_rows();
    for (column, field) in &table.fields {
        let path = at.key("fields").key(column).key("erasure");
        match &field.erasure {
            Erasure::Hold { ground } if ground.trim().is_empty() => {
                say(
                    path.clone(),
                    "a hold needs its legal ground".into(),
                    "e.g. `{ hold = { ground = \"bokføringsloven § 13\" } }`",
                );
            }
            Erasure::Hold { .. } if deletes => say(
                path.clone(),
                format!(
                    "`{column}` is held, but another field deletes the row; a held row must be kept"
                ),
                "hold the row's other fields too, or null them",
            ),
            Erasure::SetNull | Erasure::KeyedHash if *column == table.primary_key => say(
                path.clone(),
                "the primary key addresses the row; delete the row or hold it".into(),
                "use `delete_row` or a hold",
            ),
            _ => {}
        }
        if field.category.trim().is_empty() {
            say(
                at.key("fields").key(column).key("category"),
                format!("field `{column}` names no data category"),
                "say what the field holds, e.g. `contact`",
            );
        }
        if field.activity.trim().is_empty() {
            say(
                at.key("fields").key(column).key("activity"),
                format!("field `{column}` names no activity"),
                "name the `[[activities]]` id the field serves",
            );
        }
    }
    // Deleting a parent while a kept child still references it would break the child (or fail
    // on a foreign key halfway through the erasure).
    if deletes {
        for (child_index, child) in spec.tables.iter().enumerate() {
            for (i, rel) in child.belongs_to.iter().enumerate() {
                let nulled = child
                    .fields
                    .get(&rel.column)
                    .is_some_and(|f| f.erasure == Erasure::SetNull);
                if rel.table == table.name && !child.deletes_rows() && !nulled {
                    say(
                        dataset_at
                            .key("tables")
                            .index(child_index)
                            .key("belongs_to")
                            .index(i),
                        format!(
                            "rows of `{}` are deleted, but `{}` keeps `{}` referencing them",
                            table.name, child.name, rel.column
                        ),
                        &format!("delete the child rows or set `{}` null", rel.column),
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
#[path = "validate_datasets_tests.rs"]
mod tests;
