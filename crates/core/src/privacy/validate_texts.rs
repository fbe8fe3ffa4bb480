//! Checks on languages and texts: `languages` is a non-empty list of known, distinct ISO 639-1
//! tags, and every text in the file is given in each declared language and in no other.

use std::collections::BTreeMap;

use super::locate::FieldPath;
use super::model::PrivacyFile;
use super::validate::PathProblem;
use crate::text::{Lang, Text};

/// ISO 639-1 two-letter language codes.
const ISO_639_1: &str = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce \
    ch co cr cs cu cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv \
    ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr \
    ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn \
    no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so \
    sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh \
    yi yo za zh zu";

/// The ISO 639-1 code for a tag written another common way (`eng`, `nob`, `NB`, `nb-NO`).
fn two_letter(tag: &str) -> Option<&'static str> {
    let lower = tag.to_ascii_lowercase();
    let primary = lower.split(['-', '_']).next().unwrap_or("");
    let known = match primary {
        "nob" => "nb",
        "nno" => "nn",
        "eng" => "en",
        "sme" => "se",
        other => ISO_639_1.split(' ').find(|code| *code == other)?,
    };
    (known != tag).then_some(known)
}

pub fn check_languages(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    let languages = FieldPath::root().key("languages");
    if file.languages.is_empty() {
        findings.push(PathProblem::at(
            languages.clone(),
            "`languages` is empty".to_owned(),
            "declare at least one language, the default first: languages = [\"nb\", \"nn\", \"en\"]",
        ));
    }
    for (index, lang) in file.languages.iter().enumerate() {
        let tag = lang.as_str();
        let path = languages.index(index);
        if !ISO_639_1.split(' ').any(|known| known == tag) {
            let hint = match two_letter(tag) {
                Some(code) => format!(
                    "did you mean `{code}`? Tags are lower-case ISO 639-1 codes: nb (bokmål), nn \
                     (nynorsk), en (English), se (North Sami), …"
                ),
                None => "use a lower-case ISO 639-1 code: nb (bokmål), nn (nynorsk), en \
                         (English), se (North Sami), …"
                    .to_owned(),
            };
            findings.push(PathProblem::at(
                path.clone(),
                format!("unknown language tag `{tag}` in languages"),
                &hint,
            ));
        } else if tag == "no" {
            findings.push(PathProblem::at(
                path.clone(),
                "language `no` does not say which written Norwegian".to_owned(),
                "use nb (bokmål) and/or nn (nynorsk)",
            ));
        }
        if file
            .languages
            .iter()
            .take(index)
            .any(|earlier| earlier == lang)
        {
            findings.push(PathProblem::at(
                path,
                format!("language `{tag}` is declared twice in languages"),
                "remove the second one",
            ));
        }
    }
}

/// A declared tag the rest of the file can be checked against: a known ISO 639-1 code, not `no`.
fn usable(tag: &str) -> bool {
    tag != "no" && ISO_639_1.split(' ').any(|known| known == tag)
}

/// More texts than this in one undeclared language are one problem at `languages`, not one each.
const SPREAD: usize = 3;

/// Every text is given in each usable declared language and in no other. A wrong tag in
/// `languages` is reported once there (by `check_languages`), not again at every text: texts are
/// checked only against the usable tags, and a language that many texts use but `languages`
/// lacks is one problem naming how many.
pub fn check_texts(file: &PrivacyFile, findings: &mut Vec<PathProblem>) {
    let usable_langs: Vec<Lang> = file
        .languages
        .iter()
        .filter(|lang| usable(lang.as_str()))
        .cloned()
        .collect();
    let declared: Vec<&str> = file.languages.iter().map(|lang| lang.as_str()).collect();
    let mut undeclared: BTreeMap<String, Vec<FieldPath>> = BTreeMap::new();
    let mut check = |path: FieldPath, text: &Text| {
        let missing: Vec<&str> = text
            .missing(&usable_langs)
            .into_iter()
            .map(|l| l.as_str())
            .collect();
        if !missing.is_empty() {
            let plural = if missing.len() == 1 { "" } else { "s" };
            let example = missing
                .iter()
                .map(|lang| format!("{lang} = \"…\""))
                .collect::<Vec<_>>()
                .join(", ");
            findings.push(PathProblem::at(
                path.clone(),
                format!("{path} has no text in {}", missing.join(", ")),
                &format!("add {example}; every declared language{plural} needs a text"),
            ));
        }
        for lang in text
            .0
            .keys()
            .filter(|lang| !declared.contains(&lang.as_str()))
        {
            undeclared
                .entry(lang.clone())
                .or_default()
                .push(path.key(lang));
        }
    };
    visit_texts(file, &mut check);
    for (lang, paths) in undeclared {
        if paths.len() > SPREAD {
            findings.push(PathProblem::at(
                FieldPath::root().key("languages"),
                format!(
                    "{} texts are written in `{lang}`, which is not in languages",
                    paths.len()
                ),
                &format!("add \"{lang}\" to languages, or remove those texts"),
            ));
            continue;
        }
        for path in paths {
            let owner = path.parent();
            findings.push(PathProblem::at(
                path,
                format!("{owner} has a text in `{lang}`, which is not in languages"),
                "add the language to `languages` or remove this text",
            ));
        }
    }
}

/// Calls `visit` with every text in the file and its path.
fn visit_texts(file: &PrivacyFile, visit: &mut impl FnMut(FieldPath, &Text)) {
    let root = FieldPath::root();
    let organisation = root.key("organisation");
    if let Some(dpo) = &file.organisation.dpo {
        visit(organisation.key("dpo").key("role"), &dpo.role);
    }
    if let Some(authority) = &file.organisation.authority {
        visit(organisation.key("authority").key("name"), &authority.name);
    }
    for (i, site) in file.sites.iter().enumerate() {
        let links = root.key("sites").index(i).key("links");
        if let Some(text) = &site.links.privacy_notice {
            visit(links.key("privacy_notice"), text);
        }
        if let Some(text) = &site.links.cookie_declaration {
            visit(links.key("cookie_declaration"), text);
        }
    }
    for (i, category) in file.categories.iter().enumerate() {
        let path = root.key("categories").index(i);
        visit(path.key("label"), &category.label);
        visit(path.key("description"), &category.description);
    }
    for (i, service) in file.services.iter().enumerate() {
        let path = root.key("services").index(i);
        visit(path.key("purpose"), &service.purpose);
        if let Some(text) = &service.justification {
            visit(path.key("justification"), text);
        }
        for (j, transfer) in service.transfers.iter().enumerate() {
            if let Some(text) = &transfer.note {
                visit(path.key("transfers").index(j).key("note"), text);
            }
        }
        for (j, cookie) in service.cookies.iter().enumerate() {
            if let Some(text) = &cookie.purpose {
                visit(path.key("cookies").index(j).key("purpose"), text);
            }
        }
    }
    for (i, identifier) in file.identifiers.iter().enumerate() {
        let path = root.key("identifiers").index(i);
        visit(path.key("label"), &identifier.label);
        if let Some(text) = &identifier.hint {
            visit(path.key("hint"), text);
        }
    }
    for (i, activity) in file.activities.iter().enumerate() {
        let path = root.key("activities").index(i);
        visit(path.key("name"), &activity.name);
        visit(path.key("purpose"), &activity.purpose);
        visit(path.key("data_categories"), &activity.data_categories);
        visit(path.key("data_subjects"), &activity.data_subjects);
        visit(path.key("retention"), &activity.retention);
        let optional = [
            ("legitimate_interest", &activity.legitimate_interest),
            ("recipients", &activity.recipients),
            ("source", &activity.source),
            ("requirement", &activity.requirement),
            ("automated_decisions", &activity.automated_decisions),
            ("security_measures", &activity.security_measures),
        ];
        for (key, text) in optional {
            if let Some(text) = text {
                visit(path.key(key), text);
            }
        }
        for (j, processor) in activity.processors.iter().enumerate() {
            visit(
                path.key("processors").index(j).key("purpose"),
                &processor.purpose,
            );
        }
        for (j, transfer) in activity.transfers.iter().enumerate() {
            if let Some(text) = &transfer.note {
                visit(path.key("transfers").index(j).key("note"), text);
            }
        }
    }
    for (i, section) in file.notice.sections.iter().enumerate() {
        let path = root.key("notice").key("sections").index(i);
        visit(path.key("title"), &section.title);
        visit(path.key("body"), &section.body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_iso_code_is_two_letters() {
        assert!(ISO_639_1.split(' ').all(|code| code.len() == 2));
        assert!(ISO_639_1.split(' ').any(|code| code == "nn"));
    }
}
