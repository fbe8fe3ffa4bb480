//! Checks that keep the documents from stating what the file does not say, or linking where no
//! page should: the Norwegian organisation number's check digit, links only to `https:`,
//! `http:` and `mailto:`, an explicit `automated_decisions` on every activity that uses a
//! marketing service, and a reason on every `acknowledge`.

use super::link::{is_safe_link, scheme_of};
use super::locate::FieldPath;
use super::model::PrivacyFile;
use super::validate::PathProblem;

pub fn check_facts(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    check_org_number(file, findings);
    check_links(file, findings);
    check_marketing_activities(file, findings);
    check_acknowledgements(file, findings);
}

/// Weights of the mod-11 check digit of a Norwegian organisation number (Brønnøysundregistrene).
const ORG_NUMBER_WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];

/// Whether `number` (9 digits, spaces allowed) carries a valid mod-11 check digit.
pub fn valid_norwegian_org_number(number: &str) -> Result<(), &'static str> {
    let digits: Vec<u32> = number
        .chars()
        .filter(|c| *c != ' ' && *c != '\u{a0}')
        .map(|c| {
            c.to_digit(10)
                .ok_or("holds something other than digits and spaces")
        })
        .collect::<Result<_, _>>()?;
    let [body @ .., check] = digits.as_slice() else {
        return Err("is empty");
    };
    if digits.len() != 9 {
        return Err("does not have 9 digits");
    }
    let sum: u32 = body
        .iter()
        .zip(ORG_NUMBER_WEIGHTS)
        .map(|(digit, weight)| digit * weight)
        .sum();
    let expected = match 11 - sum % 11 {
        11 => 0,
        10 => return Err("fails the mod-11 check: no number can have these first 8 digits"),
        digit => digit,
    };
    if expected == *check {
        Ok(())
    } else {
        Err("fails the mod-11 check (its last digit is not the check digit)")
    }
}

fn check_org_number(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    let organisation = &file.organisation;
    if !organisation.country.eq_ignore_ascii_case("NO") {
        return;
    }
    if let Err(reason) = valid_norwegian_org_number(&organisation.org_number) {
        findings.push(PathProblem::at(
            FieldPath::root().key("organisation").key("org_number"),
            format!("organisation number {:?} {reason}", organisation.org_number),
            "write the 9-digit number from Brønnøysundregistrene (e.g. \"999 888 771\"); the \
             last digit is a mod-11 check digit over the first 8 with weights 3 2 7 6 5 4 3 2",
        ));
    }
}

fn check_links(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    let mut check = |path: FieldPath, url: &str| {
        if is_safe_link(url) {
            return;
        }
        let why = match scheme_of(url) {
            Some(scheme) if url.chars().any(|c| c.is_control() || c.is_whitespace()) => {
                format!("holds whitespace or control characters (scheme `{scheme}`)")
            }
            Some(scheme) => format!("uses the scheme `{scheme}`"),
            None => "is not an absolute link".to_owned(),
        };
        findings.push(PathProblem::at(
            path.clone(),
            format!("link {url:?} in {path} {why}"),
            "links may only be https:, http: or mailto: (e.g. \"https://www.example.no/personvern\"); \
             javascript:, data: and vbscript: links are never shown",
        ));
    };
    let root = FieldPath::root();
    if let Some(authority) = &file.organisation.authority {
        check(
            root.key("organisation").key("authority").key("url"),
            &authority.url,
        );
    }
    for (i, site) in file.sites.iter().enumerate() {
        let links = root.key("sites").index(i).key("links");
        for (key, text) in [
            ("privacy_notice", &site.links.privacy_notice),
            ("cookie_declaration", &site.links.cookie_declaration),
        ] {
            for (lang, url) in text.iter().flat_map(|text| text.0.iter()) {
                check(links.key(key).key(lang), url);
            }
        }
    }
    for (i, service) in file.services.iter().enumerate() {
        if let Some(url) = &service.privacy_policy {
            check(root.key("services").index(i).key("privacy_policy"), url);
        }
    }
}

/// Remarketing and audiences built from visits are profiling: an activity that uses a service
/// in a marketing category must say what it does about automated decisions, never leave the
/// notice to guess.
fn check_marketing_activities(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    for (i, activity) in file.activities.iter().enumerate() {
        if activity.automated_decisions.is_some() {
            continue;
        }
        let marketing: Vec<&str> = activity
            .services
            .iter()
            .filter(|id| {
                file.service(id)
                    .and_then(|service| file.category(&service.category))
                    .is_some_and(|category| category.marketing)
            })
            .map(String::as_str)
            .collect();
        if marketing.is_empty() {
            continue;
        }
        findings.push(PathProblem::at(
            FieldPath::root().key("activities").index(i).key("services"),
            format!(
                "activity `{}` uses marketing services ({}) but has no `automated_decisions`",
                activity.id,
                marketing.join(", ")
            ),
            "add automated_decisions = { … } (GDPR art. 13(2)(f)): say whether profiles or \
             audiences are built (remarketing is profiling) and whether any decision with legal \
             or similarly significant effect is made; the notice says nothing it is not told",
        ));
    }
}

fn check_acknowledgements(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    let mut check = |path: FieldPath, reason: &Option<String>| {
        if reason.as_ref().is_some_and(|r| r.trim().is_empty()) {
            findings.push(PathProblem::at(
                path,
                "an acknowledgement needs a reason".to_owned(),
                "write why the flag stands, e.g. necessary = \"Only loads our own login form\"",
            ));
        }
    };
    for (i, service) in file.services.iter().enumerate() {
        let path = FieldPath::root().key("services").index(i);
        let ack = path.key("acknowledge");
        check(ack.key("necessary"), &service.acknowledge.necessary);
        check(ack.key("activity"), &service.acknowledge.activity);
        for (j, cookie) in service.cookies.iter().enumerate() {
            let ack = path.key("cookies").index(j).key("acknowledge");
            check(ack.key("duration"), &cookie.acknowledge.duration);
            check(ack.key("category"), &cookie.acknowledge.category);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_numbers_carry_a_mod_11_check_digit() {
        for good in ["999 888 771", "999999999", "923 609 016", "974 760 673"] {
            assert_eq!(valid_norwegian_org_number(good), Ok(()), "{good}");
        }
        for bad in [
            "999 888 777",
            "99988877",
            "9998887710",
            "999 888 77x",
            "",
            "999 111 222",
        ] {
            assert!(valid_norwegian_org_number(bad).is_err(), "{bad}");
        }
    }
}
