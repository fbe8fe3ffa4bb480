//! Warnings about a valid privacy file: things that are allowed but usually wrong, and that the
//! documents would otherwise repeat under the operator's name. `kapsel check` prints them (and
//! fails on them with `--deny-warnings`), `kapsel suggest` counts them as flags, and the
//! scanner applies the first one to what it sees.
//!
//! - `necessary` used as an escape hatch: a service in `necessary` whose cookies the built-in
//!   catalogue knows as analytics or marketing, or whose hosts are known tracking hosts.
//! - A service outside `necessary` that no processing activity lists: the notice and the record
//!   of processing never mention it.
//!
//! A service's `acknowledge.necessary` / `acknowledge.activity` (with a reason) silences each.

use super::locate::FieldPath;
use super::model::{NECESSARY, PrivacyFile, Service};
use super::validate::PathProblem;
use crate::catalogue::{Catalogue, KnownCategory};

/// What makes a necessary service look like tracking: the first cookie or host the catalogue
/// knows as analytics or marketing, in words ("cookie `ajs_anonymous_id` is Segment
/// (analytics)"). `None` when nothing does.
pub fn tracking_evidence(service: &Service, catalogue: &Catalogue) -> Option<String> {
    let tracking = |category: KnownCategory| {
        matches!(
            category,
            KnownCategory::Analytics | KnownCategory::Marketing
        )
    };
    for cookie in &service.cookies {
        if let Some(known) = catalogue.lookup(&cookie.name)
            && tracking(known.category)
        {
            return Some(format!(
                "`{}` is {} ({}) in the catalogue",
                cookie.name,
                known.platform,
                known.category.as_str()
            ));
        }
    }
    for host in &service.hosts {
        if let Some(known) = catalogue.lookup_host(host)
            && tracking(known.category)
        {
            return Some(format!(
                "host `{host}` is {} ({}) in the catalogue",
                known.platform,
                known.category.as_str()
            ));
        }
    }
    None
}

/// Every warning about `file`, placed by path, in file order.
pub fn warnings(file: &PrivacyFile, catalogue: &Catalogue) -> Vec<PathProblem> {
    let mut found = Vec::new();
    for (i, service) in file.services.iter().enumerate() {
        let path = FieldPath::root().key("services").index(i);
        if service.category == NECESSARY {
            if service.acknowledge.necessary.is_none()
                && let Some(evidence) = tracking_evidence(service, catalogue)
            {
                found.push(PathProblem::at(
                    path.key("category"),
                    format!(
                        "service `{}` is declared necessary, but {evidence}: it needs consent",
                        service.id
                    ),
                    "move it to a category that asks for consent; if it truly is strictly \
                     necessary here, say why with acknowledge.necessary = \"…\"",
                ));
            }
            continue;
        }
        let listed = file
            .activities
            .iter()
            .any(|activity| activity.services.contains(&service.id));
        if !listed && service.acknowledge.activity.is_none() {
            found.push(PathProblem::at(
                path.key("id"),
                format!(
                    "service `{}` (category `{}`) is in no processing activity: the privacy \
                     notice and the record of processing do not mention it",
                    service.id, service.category
                ),
                "list it in the `services` of the [[activities]] it serves, or say why not \
                 with acknowledge.activity = \"…\"",
            ));
        }
    }
    found.extend(super::validate_retention::retention_warnings(file));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::load;

    const SEGMENT_NECESSARY: &str = r#"languages = ["en"]
[organisation]
name = "Example AS"
org_number = "999 888 771"
address = "Storgata 1, 0101 Oslo"
country = "NO"
email = "personvern@example.no"
[[sites]]
id = "www"
name = "Example"
domains = ["localhost"]
[[categories]]
id = "analytics"
label = { en = "Analytics" }
description = { en = "Analytics" }
[[services]]
id = "segment"
name = "Segment"
category = "necessary"
provider = { name = "Twilio Ireland Limited", country = "IE" }
purpose = { en = "Routes events." }
justification = { en = "We need it." }
hosts = ["cdn.segment.com"]
[[services]]
id = "stats"
name = "Stats"
category = "analytics"
provider = { name = "Example AS", country = "NO" }
purpose = { en = "Counts visits." }
"#;

    #[test]
    fn necessary_tracking_and_services_outside_every_activity_are_warned_about() {
        let file = load(SEGMENT_NECESSARY, "w.toml").unwrap();
        let catalogue = Catalogue::builtin();
        let found = warnings(&file, &catalogue);
        let messages: Vec<&str> = found.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:#?}");
        assert!(messages[0].starts_with("service `segment` is declared necessary, but host `cdn.segment.com` is Segment (analytics)"), "{messages:#?}");
        assert!(
            messages[1]
                .starts_with("service `stats` (category `analytics`) is in no processing activity"),
            "{messages:#?}"
        );

        let acknowledged = SEGMENT_NECESSARY
            .replace("hosts = [\"cdn.segment.com\"]", "hosts = [\"cdn.segment.com\"]\nacknowledge.necessary = \"Only routes consent.\"")
            .replace("purpose = { en = \"Counts visits.\" }", "purpose = { en = \"Counts visits.\" }\nacknowledge.activity = \"Counts only, no personal data.\"");
        let file = load(&acknowledged, "w.toml").unwrap();
        assert!(warnings(&file, &catalogue).is_empty());
    }
}
