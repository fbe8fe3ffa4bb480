//! Semantic checks of a parsed privacy file: ids, references, durations, legal bases and
//! transfers; sites and their domains are in `validate_sites`, texts and languages in
//! `validate_texts`. Each check yields a `PathProblem` with the path of what it is about; `load`
//! turns paths into line:column.

use super::duration::{DURATION_GRAMMAR, Duration};
use super::known_keys::{keys_of, suggestion};
use super::locate::{FieldPath, Target};
use super::model::{LegalBasis, NECESSARY, PrivacyFile, Safeguard, Transfer};
use super::validate_datasets::check_datasets;
use super::validate_destinations::check_destinations;
use super::validate_facts::check_facts;
use super::validate_retention::check_retention;
use super::validate_sites::check_sites;
use super::validate_texts::{check_languages, check_texts};

/// A problem found by validation, placed by its field path; `load` turns the path into a
/// line:column and the whole into a [`super::problem::Problem`]. (Not the scanner's
/// `scan_report::Finding`, which is something observed in a browser.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathProblem {
    pub path: FieldPath,
    pub target: Target,
    pub message: String,
    pub hint: String,
}

impl PathProblem {
    /// A problem with the value at `path`.
    pub fn at(path: FieldPath, message: String, hint: &str) -> PathProblem {
        PathProblem {
            path,
            target: Target::Value,
            message,
            hint: hint.to_owned(),
        }
    }
}

/// A key the model does not know, with the nearest known key as a hint when there is one.
pub fn unknown_key(path: FieldPath) -> PathProblem {
    let key = path.last_key().unwrap_or("").to_owned();
    let parent = path.parent();
    let hint = match suggestion(&key, keys_of(&parent)) {
        Some(known) => format!("did you mean `{known}`?"),
        None if keys_of(&parent).is_empty() => {
            "remove it; docs/privacy-file.md lists every key".to_owned()
        }
        None => format!("remove it; {parent} accepts {}", list(keys_of(&parent))),
    };
    let message = if parent.0.is_empty() {
        format!("unknown key `{key}` at the top level")
    } else {
        format!("unknown key `{key}` in {parent}")
    };
    PathProblem {
        path,
        target: Target::Key,
        message,
        hint,
    }
}

pub(super) fn list(keys: &[&str]) -> String {
    keys.iter()
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every semantic problem in `file`. `line_of` gives the line of a path, to say where the first
/// of two duplicates is.
pub fn validate(file: &PrivacyFile, line_of: &dyn Fn(&FieldPath) -> usize) -> Vec<PathProblem> {
    let mut findings = Vec::new();
    check_languages(file, &mut findings);
    check_ids(file, line_of, &mut findings);
    check_sites(file, &mut findings);
    check_categories(file, &mut findings);
    check_services(file, line_of, &mut findings);
    check_activities(file, &mut findings);
    check_durations(file, &mut findings);
    check_facts(file, &mut findings);
    check_datasets(file, &mut findings);
    check_retention(file, &mut findings);
    check_destinations(file, &mut findings);
    if !file.languages.is_empty() {
        check_texts(file, &mut findings);
    }
    findings
}

fn check_ids(
    file: &PrivacyFile,
    line_of: &dyn Fn(&FieldPath) -> usize,
    findings: &mut Vec<PathProblem>,
) {
    let root = FieldPath::root();
    let lists: [(&str, &str, Vec<&str>); 8] = [
        (
            "sites",
            "site",
            file.sites.iter().map(|s| s.id.as_str()).collect(),
        ),
        (
            "categories",
            "category",
            file.categories.iter().map(|c| c.id.as_str()).collect(),
        ),
        (
            "services",
            "service",
            file.services.iter().map(|s| s.id.as_str()).collect(),
        ),
        (
            "activities",
            "activity",
            file.activities.iter().map(|a| a.id.as_str()).collect(),
        ),
        (
            "identifiers",
            "identifier",
            file.identifiers.iter().map(|i| i.id.as_str()).collect(),
        ),
        (
            "datasets",
            "dataset",
            file.datasets.iter().map(|d| d.id.as_str()).collect(),
        ),
        (
            "retention",
            "retention rule",
            file.retention.iter().map(|r| r.id.as_str()).collect(),
        ),
        (
            "destinations",
            "destination",
            file.destinations.iter().map(|d| d.id.as_str()).collect(),
        ),
    ];
    for (key, what, ids) in lists {
        for (index, id) in ids.iter().enumerate() {
            let path = root.key(key).index(index).key("id");
            if !is_id(id) {
                findings.push(PathProblem::at(
                    path.clone(),
                    format!(
                        "{what} id `{id}` may only hold lower-case letters a–z, digits and `-`"
                    ),
                    &format!("write it like `{}`", suggested_id(id)),
                ));
            }
            if let Some(first) = ids.iter().take(index).position(|earlier| earlier == id) {
                let first_line = line_of(&root.key(key).index(first).key("id"));
                findings.push(PathProblem::at(
                    path,
                    format!("duplicate {what} id `{id}` (first declared on line {first_line})"),
                    &format!("give each {what} its own id"),
                ));
            }
        }
    }
}

fn is_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
}

fn suggested_id(id: &str) -> String {
    let mapped: String = id
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' => c,
            'æ' => 'e',
            'ø' => 'o',
            'å' => 'a',
            _ => '-',
        })
        .collect();
    let trimmed = mapped.trim_matches('-');
    if trimmed.is_empty() {
        "my-id".to_owned()
    } else {
        trimmed.to_owned()
    }
}

pub(super) fn known_services(file: &PrivacyFile) -> String {
    let ids: Vec<&str> = file.services.iter().map(|s| s.id.as_str()).collect();
    if ids.is_empty() {
        return "declare it under [[services]]".to_owned();
    }
    format!(
        "declare it under [[services]] or use one of: {}",
        list(&ids)
    )
}

fn check_categories(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    for (i, category) in file.categories.iter().enumerate() {
        if category.id == NECESSARY && category.marketing {
            findings.push(PathProblem::at(
                FieldPath::root()
                    .key("categories")
                    .index(i)
                    .key("marketing"),
                "category `necessary` cannot be a marketing category".to_owned(),
                "remove `marketing = true`: necessary is always on, marketing needs consent",
            ));
        }
    }
}

fn check_services(
    file: &PrivacyFile,
    line_of: &dyn Fn(&FieldPath) -> usize,
    findings: &mut Vec<PathProblem>,
) {
    let known_categories: Vec<String> = file
        .categories_with_necessary()
        .iter()
        .map(|c| c.id.clone())
        .collect();
    for (i, service) in file.services.iter().enumerate() {
        let path = FieldPath::root().key("services").index(i);
        if file.category(&service.category).is_none() {
            let names: Vec<&str> = known_categories.iter().map(String::as_str).collect();
            findings.push(PathProblem::at(
                path.key("category"),
                format!(
                    "service `{}` is in category `{}`, which is not declared",
                    service.id, service.category
                ),
                &format!(
                    "use one of: {}, or declare it under [[categories]]",
                    list(&names)
                ),
            ));
        }
        if service.category == NECESSARY && service.justification.is_none() {
            findings.push(PathProblem::at(
                path.key("category"),
                format!(
                    "service `{}` is in `necessary` but has no justification",
                    service.id
                ),
                "add justification = { … } saying why the site cannot work without it, or move \
                 it to a category that asks for consent",
            ));
        }
        check_transfers(&service.transfers, &path, findings);
        for (j, cookie) in service.cookies.iter().enumerate() {
            let twin = service.cookies.iter().take(j).position(|earlier| {
                earlier.name == cookie.name
                    && earlier.kind == cookie.kind
                    && earlier.domain == cookie.domain
            });
            if let Some(first) = twin {
                let first_line = line_of(&path.key("cookies").index(first).key("name"));
                findings.push(PathProblem::at(
                    path.key("cookies").index(j).key("name"),
                    format!(
                        "service `{}` declares cookie `{}` twice (first on line {first_line})",
                        service.id, cookie.name
                    ),
                    "remove one of them, or give them different `domain`s",
                ));
            }
        }
    }
}

fn check_transfers(transfers: &[Transfer], owner: &FieldPath, findings: &mut Vec<PathProblem>) {
    for (j, transfer) in transfers.iter().enumerate() {
        if transfer.safeguard == Safeguard::Other && transfer.note.is_none() {
            findings.push(PathProblem::at(
                owner.key("transfers").index(j).key("safeguard"),
                format!(
                    "transfer to {} with safeguard `other` has no note",
                    transfer.country
                ),
                "add note = { … } naming the safeguard or derogation (art. 46 or 49 GDPR)",
            ));
        }
    }
}

fn check_activities(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    for (i, activity) in file.activities.iter().enumerate() {
        let path = FieldPath::root().key("activities").index(i);
        for (j, service_id) in activity.services.iter().enumerate() {
            let Some(service) = file.service(service_id) else {
                findings.push(PathProblem::at(
                    path.key("services").index(j),
                    format!(
                        "activity `{}` uses service `{service_id}`, which is not declared",
                        activity.id
                    ),
                    &known_services(file),
                ));
                continue;
            };
            if activity.legal_basis == LegalBasis::LegitimateInterests
                && service.category != NECESSARY
            {
                findings.push(PathProblem::at(
                    path.key("services").index(j),
                    format!(
                        "activity `{}` claims legitimate interests, but service `{service_id}` is in \
                         category `{}`, which needs consent",
                        activity.id, service.category
                    ),
                    "cookies and tracking outside `necessary` need consent (ekomloven § 3-15): \
                     set legal_basis = \"consent\", or move the service to `necessary` if the \
                     site cannot work without it",
                ));
            }
        }
        if activity.legal_basis == LegalBasis::LegitimateInterests
            && activity.legitimate_interest.is_none()
        {
            findings.push(PathProblem::at(
                path.key("legal_basis"),
                format!(
                    "activity `{}` claims legitimate interests without saying which",
                    activity.id
                ),
                "add legitimate_interest = { … } describing the interest (GDPR art. 13(1)(d))",
            ));
        }
        check_transfers(&activity.transfers, &path, findings);
    }
}

fn check_durations(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    let mut check = |path: FieldPath, value: &str| {
        if let Err(error) = Duration::parse(value) {
            findings.push(PathProblem::at(
                path,
                format!("cannot read duration {value:?}: {}", error.reason),
                DURATION_GRAMMAR,
            ));
        }
    };
    let consent = FieldPath::root().key("consent");
    check(
        consent.key("accept_duration"),
        &file.consent.accept_duration,
    );
    check(
        consent.key("reject_duration"),
        &file.consent.reject_duration,
    );
    for (i, service) in file.services.iter().enumerate() {
        for (j, cookie) in service.cookies.iter().enumerate() {
            check(
                FieldPath::root()
                    .key("services")
                    .index(i)
                    .key("cookies")
                    .index(j)
                    .key("duration"),
                &cookie.duration,
            );
        }
    }
    for (i, activity) in file.activities.iter().enumerate() {
        if let Some(period) = &activity.retention_period {
            check(
                FieldPath::root()
                    .key("activities")
                    .index(i)
                    .key("retention_period"),
                period,
            );
        }
    }
}
