//! Checks of `[[destinations]]` and `[gate]`: every category, activity, site and identifier
//! resolves; every field path reads; and a Meta Conversions API destination needs a marketing
//! category, because that API has no consent field: without marketing consent the only
//! compliant choice is not to send. (Duplicate and malformed ids are `validate`'s.)

use super::destination::DestinationKind;
use super::locate::FieldPath;
use super::model::{NECESSARY, PrivacyFile};
use super::validate::{PathProblem, list};

pub fn check_destinations(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    let categories: Vec<&str> = file.categories.iter().map(|c| c.id.as_str()).collect();
    for (d, destination) in file.destinations.iter().enumerate() {
        let at = FieldPath::root().key("destinations").index(d);
        if destination.categories.is_empty() {
            findings.push(PathProblem::at(
                at.key("categories"),
                format!("destination `{}` names no category", destination.id),
                "give the categories it needs, or [\"necessary\"] for one every event may reach",
            ));
        }
        for (c, category) in destination.categories.iter().enumerate() {
            if category != NECESSARY && !categories.contains(&category.as_str()) {
                findings.push(PathProblem::at(
                    at.key("categories").index(c),
                    format!("unknown category `{category}`"),
                    &format!("declared categories: {}", list(&categories)),
                ));
            }
        }
        if destination.kind == DestinationKind::Meta {
            let marketing = destination
                .categories
                .iter()
                .any(|id| file.categories.iter().any(|c| &c.id == id && c.marketing));
            if !marketing {
                findings.push(PathProblem::at(
                    at.key("categories"),
                    format!(
                        "destination `{}` sends to Meta's Conversions API, which has no consent \
                         field, but needs no marketing category",
                        destination.id
                    ),
                    "add a category with `marketing = true`: without that consent nothing may go to Meta",
                ));
            }
        }
        if let Some(activity) = &destination.activity
            && !file.activities.iter().any(|a| &a.id == activity)
        {
            let ids: Vec<&str> = file.activities.iter().map(|a| a.id.as_str()).collect();
            findings.push(PathProblem::at(
                at.key("activity"),
                format!("unknown activity `{activity}`"),
                &format!("declared activities: {}", list(&ids)),
            ));
        }
        for (s, site) in destination.sites.iter().enumerate() {
            if !file.sites.iter().any(|x| &x.id == site) {
                let ids: Vec<&str> = file.sites.iter().map(|x| x.id.as_str()).collect();
                findings.push(PathProblem::at(
                    at.key("sites").index(s),
                    format!("unknown site `{site}`"),
                    &format!("declared sites: {}", list(&ids)),
                ));
            }
        }
        for (f, field) in destination.fields.iter().enumerate() {
            if let Some(why) = bad_path(field) {
                findings.push(PathProblem::at(
                    at.key("fields").index(f),
                    format!("field `{field}` {why}"),
                    "a field is a dotted path into the event: `properties.revenue`, `context.page.url`",
                ));
            }
        }
    }
    if let Some(user_id) = &file.gate.user_id
        && user_id != "email"
        && !file.identifiers.iter().any(|i| &i.id == user_id)
    {
        let mut ids: Vec<&str> = vec!["email"];
        ids.extend(file.identifiers.iter().map(|i| i.id.as_str()));
        findings.push(PathProblem::at(
            FieldPath::root().key("gate").key("user_id"),
            format!("unknown identifier `{user_id}`"),
            &format!("declared identifiers: {}", list(&ids)),
        ));
    }
}

/// Why `path` is not a field path, if it is not.
fn bad_path(path: &str) -> Option<&'static str> {
    if path.split('.').any(str::is_empty) {
        return Some("has an empty part");
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if !path.chars().all(plain) {
        return Some("may only hold letters, digits, `_`, `-` and `.`");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::bad_path;

    #[test]
    fn field_paths_are_dotted_plain_keys() {
        assert_eq!(bad_path("properties.revenue"), None);
        assert_eq!(bad_path("context.page.url"), None);
        assert!(bad_path("properties..x").is_some());
        assert!(bad_path(".x").is_some());
        assert!(bad_path("properties.$where").is_some());
    }
}
