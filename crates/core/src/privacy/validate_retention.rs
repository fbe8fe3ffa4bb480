//! Checks of `[[retention]]`: every reference resolves (activity, SQL dataset, table), every
//! column is a plain identifier, the period reads, the action fits the engine, and no rule
//! contradicts another rule on the same rows or the activity's stated `retention_period`. A
//! warning names each activity that states a period but has no rule enforcing it.

use super::dataset::Engine;
use super::duration::{DURATION_GRAMMAR, Duration};
use super::locate::FieldPath;
use super::model::PrivacyFile;
use super::retention::{RetentionAction, RetentionRule};
use super::validate::{PathProblem, list};
use super::validate_datasets::is_plain_identifier;

const IDENT_HINT: &str = "column names are plain SQL identifiers: letters, digits, `_`";

/// Every problem in `[[retention]]`. (Duplicate and malformed ids are `validate`'s.)
pub fn check_retention(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    for (r, rule) in file.retention.iter().enumerate() {
        let at = FieldPath::root().key("retention").index(r);
        check_references(file, rule, &at, findings);
        check_shape(file, rule, &at, findings);
        check_activity_period(file, rule, &at, findings);
        for other in file.retention.iter().take(r) {
            if let Some(why) = contradiction(other, rule) {
                findings.push(PathProblem::at(
                    at.key("period"),
                    format!("rule `{}` contradicts rule `{}`: {why}", rule.id, other.id),
                    "give the rows one period, or narrow one rule with a filter",
                ));
            }
        }
    }
}

/// Each activity that states a `retention_period`, has data in a declared SQL dataset, and has
/// no rule enforcing the period, as a warning. (An activity whose data only processors hold has
/// nothing Kapsel could run a rule on.)
pub fn retention_warnings(file: &PrivacyFile) -> Vec<PathProblem> {
    let in_datasets = |activity: &str| {
        file.datasets
            .iter()
            .filter(|d| d.engine.is_sql())
            .flat_map(|d| &d.tables)
            .flat_map(|t| t.fields.values())
            .any(|f| f.activity == activity)
    };
    file.activities
        .iter()
        .enumerate()
        .filter(|(_, a)| a.retention_period.is_some() && in_datasets(&a.id))
        .filter(|(_, a)| !file.retention.iter().any(|r| r.activity == a.id))
        .map(|(i, activity)| {
            PathProblem::at(
                FieldPath::root()
                    .key("activities")
                    .index(i)
                    .key("retention_period"),
                format!(
                    "activity `{}` states a retention period but no [[retention]] rule enforces it",
                    activity.id
                ),
                "add a [[retention]] rule for the tables of this activity, or remove the period",
            )
        })
        .collect()
}

fn check_references(
    file: &PrivacyFile,
    rule: &RetentionRule,
    at: &FieldPath,
    findings: &mut Vec<PathProblem>,
) {
    let mut say = |path: FieldPath, message: String, hint: &str| {
        findings.push(PathProblem::at(path, message, hint));
    };
    let activities: Vec<&str> = file.activities.iter().map(|a| a.id.as_str()).collect();
    if !activities.contains(&rule.activity.as_str()) {
        say(
            at.key("activity"),
            format!("activity `{}` is not declared", rule.activity),
            &format!("use one of {}", list(&activities)),
        );
    }
    let sql: Vec<&str> = file
        .datasets
        .iter()
        .filter(|d| d.engine.is_sql())
        .map(|d| d.id.as_str())
        .collect();
    let Some(dataset) = file.datasets.iter().find(|d| d.id == rule.dataset) else {
        say(
            at.key("dataset"),
            format!("dataset `{}` is not declared", rule.dataset),
            &format!("use one of the SQL datasets: {}", list(&sql)),
        );
        return;
    };
    if !dataset.engine.is_sql() {
        say(
            at.key("dataset"),
            format!(
                "dataset `{}` is a {} dataset: Kapsel cannot run a rule there",
                dataset.id,
                dataset.engine.as_str()
            ),
            &format!("use one of the SQL datasets: {}", list(&sql)),
        );
        return;
    }
    if dataset.table(&rule.table).is_none() {
        let tables: Vec<&str> = dataset.tables.iter().map(|t| t.name.as_str()).collect();
        say(
            at.key("table"),
            format!(
                "table `{}` is not a table of dataset `{}`",
                rule.table, dataset.id
            ),
            &format!("use one of {}", list(&tables)),
        );
    }
    if rule.action == RetentionAction::DropPartitions && dataset.engine != Engine::Postgres {
        say(
            at.key("action"),
            "drop_partitions needs PostgreSQL's declarative partitions".into(),
            "use action = \"delete\" on this engine",
        );
    }
}

fn check_shape(
    file: &PrivacyFile,
    rule: &RetentionRule,
    at: &FieldPath,
    findings: &mut Vec<PathProblem>,
) {
    let mut say = |path: FieldPath, message: String, hint: &str| {
        findings.push(PathProblem::at(path, message, hint));
    };
    if !is_plain_identifier(&rule.timestamp) {
        say(
            at.key("timestamp"),
            format!("`{}` is not a plain column name", rule.timestamp),
            IDENT_HINT,
        );
    }
    match Duration::parse(&rule.period) {
        Ok(Duration::Span { .. }) => {}
        Ok(_) => say(
            at.key("period"),
            format!(
                "a retention period is a length of time, not {:?}",
                rule.period
            ),
            "write a whole number and a unit, e.g. \"6 days\" or \"5 years\"",
        ),
        Err(error) => say(
            at.key("period"),
            format!("cannot read duration {:?}: {}", rule.period, error.reason),
            DURATION_GRAMMAR,
        ),
    }
    if rule.ground.trim().is_empty() {
        say(
            at.key("ground"),
            "the rule names no legal ground or reason".into(),
            "say why the data is kept this long, e.g. \"bokføringsloven § 13\"",
        );
    }
    for (column, values) in &rule.filter {
        let path = at.key("filter").key(column);
        if !is_plain_identifier(column) {
            say(
                path.clone(),
                format!("`{column}` is not a plain column name"),
                IDENT_HINT,
            );
        }
        if values.values().is_empty() {
            say(
                path,
                format!("the filter on `{column}` lists no value"),
                "give the value or values a row must have",
            );
        }
    }
    match &rule.action {
        RetentionAction::Anonymise(changes) => {
            if changes.is_empty() {
                say(
                    at.key("action").key("anonymise"),
                    "anonymise names no column".into(),
                    "name each column and what it becomes, e.g. { ip = \"ip_prefix\" }",
                );
            }
            for column in changes.keys() {
                if !is_plain_identifier(column) {
                    say(
                        at.key("action").key("anonymise").key(column),
                        format!("`{column}` is not a plain column name"),
                        IDENT_HINT,
                    );
                }
            }
        }
        RetentionAction::DropPartitions if !rule.filter.is_empty() => say(
            at.key("filter"),
            "a partition is dropped whole, so a filter cannot apply".into(),
            "remove the filter or use action = \"delete\"",
        ),
        RetentionAction::Delete | RetentionAction::DropPartitions => {}
    }
    let key = file
        .datasets
        .iter()
        .find(|d| d.id == rule.dataset)
        .and_then(|d| d.table(&rule.table))
        .map(|t| t.primary_key.as_str());
    if let (Some(key), RetentionAction::Anonymise(changes)) = (key, &rule.action)
        && changes.contains_key(key)
    {
        say(
            at.key("action").key("anonymise").key(key),
            format!("`{key}` is the table's primary key, which rows are addressed by"),
            "anonymise other columns; to remove rows use action = \"delete\"",
        );
    }
}

/// A rule's period must be the one its activity states, when it states one.
fn check_activity_period(
    file: &PrivacyFile,
    rule: &RetentionRule,
    at: &FieldPath,
    findings: &mut Vec<PathProblem>,
) {
    let Some(activity) = file.activities.iter().find(|a| a.id == rule.activity) else {
        return;
    };
    let (Some(stated), Some(ruled)) = (
        activity
            .retention_period
            .as_deref()
            .and_then(|p| Duration::parse(p).ok())
            .and_then(Duration::to_millis),
        rule.span().and_then(Duration::to_millis),
    ) else {
        return;
    };
    if stated != ruled {
        findings.push(PathProblem::at(
            at.key("period"),
            format!(
                "rule `{}` keeps rows {} but activity `{}` states retention_period = {:?}",
                rule.id,
                rule.period,
                activity.id,
                activity.retention_period.as_deref().unwrap_or_default()
            ),
            "make the rule's period and the activity's retention_period the same",
        ));
    }
}

/// Why `later` contradicts `earlier`, when both apply to the same rows (same table, same
/// filter): two deletions or partition drops with different periods, or an anonymisation that
/// would only run after the rows are already gone.
fn contradiction(earlier: &RetentionRule, later: &RetentionRule) -> Option<String> {
    if earlier.dataset != later.dataset
        || earlier.table != later.table
        || earlier.filter != later.filter
    {
        return None;
    }
    let (a, b) = (earlier.span()?.to_millis()?, later.span()?.to_millis()?);
    let removes = |r: &RetentionRule| !matches!(r.action, RetentionAction::Anonymise(_));
    match (removes(earlier), removes(later)) {
        (true, true) if a != b => Some(format!(
            "both remove the same rows, after {} and after {}",
            earlier.period, later.period
        )),
        (true, false) if a <= b => Some(format!(
            "the rows are removed after {}, before they would be anonymised after {}",
            earlier.period, later.period
        )),
        (false, true) if b <= a => Some(format!(
            "the rows are removed after {}, before they would be anonymised after {}",
            later.period, earlier.period
        )),
        _ => None,
    }
}

#[cfg(test)]
#[path = "validate_retention_tests.rs"]
mod tests;
