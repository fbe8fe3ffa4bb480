//! The site revision, property-tested on variations of the shipped example: rewriting the file
//! (other key order, inline tables instead of sections, spacing, comments) keeps every site's
//! revision; a consent-relevant edit (a cookie's duration, a purpose text, one more service)
//! changes it.

use kapsel_core::privacy::{self, PrivacyFile, Revision, site_revision};
use proptest::prelude::*;
use toml::{Table, Value};

use super::example::example_source;

/// A small deterministic generator driven by the seed proptest picks.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn space(&mut self) -> &'static str {
        ["", " ", "  ", "\t"][self.below(4)]
    }
    fn shuffled<T>(&mut self, items: impl Iterator<Item = T>) -> Vec<T> {
        let mut items: Vec<T> = items.collect();
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
        items
    }
}

fn key(name: &str) -> String {
    if name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        name.to_owned()
    } else {
        serde_json::to_string(name).unwrap()
    }
}

/// One value written inline, keys shuffled, spacing random; arrays may span lines with comments.
fn inline(value: &Value, dice: &mut Dice, out: &mut String) {
    match value {
        Value::String(text) => out.push_str(&serde_json::to_string(text).unwrap()),
        Value::Table(table) => {
            out.push('{');
            let entries = dice.shuffled(table.iter());
            for (position, (name, item)) in entries.into_iter().enumerate() {
                out.push_str(if position == 0 { " " } else { ", " });
                out.push_str(&key(name));
                out.push_str(dice.space());
                out.push('=');
                out.push_str(dice.space());
                inline(item, dice, out);
            }
            out.push_str(" }");
        }
        Value::Array(items) => {
            let multiline = dice.coin();
            out.push('[');
            for item in items {
                if multiline {
                    out.push_str(if dice.coin() {
                        "\n  # an element\n  "
                    } else {
                        "\n  "
                    });
                }
                inline(item, dice, out);
                out.push(',');
                out.push_str(dice.space());
            }
            if multiline {
                out.push('\n');
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The whole document rewritten: top-level keys in a random order, tables either inline or as
/// `[section]`s with their own keys shuffled, comments and blank lines sprinkled in.
fn rewrite(document: &Table, dice: &mut Dice) -> String {
    let mut head = String::from("# rewritten by the revision property test\n");
    let mut sections = String::new();
    for (name, value) in dice.shuffled(document.iter()) {
        match value {
            Value::Table(table) if dice.coin() => {
                sections.push_str(&format!("\n[{}]{}# section\n", key(name), dice.space()));
                for (inner, item) in dice.shuffled(table.iter()) {
                    sections.push_str(&format!("{}{}={}", key(inner), dice.space(), dice.space()));
                    inline(item, dice, &mut sections);
                    sections.push('\n');
                }
            }
            _ => {
                if dice.coin() {
                    head.push_str("\n# a comment that does not matter\n");
                }
                head.push_str(&format!("{}{}={}", key(name), dice.space(), dice.space()));
                inline(value, dice, &mut head);
                head.push('\n');
            }
        }
    }
    head + &sections
}

fn example_table() -> Table {
    toml::from_str(&example_source()).unwrap()
}

fn revisions(source: &str) -> Vec<(String, Revision)> {
    let file: PrivacyFile = match privacy::load(source, "variant.toml") {
        Ok(file) => file,
        Err(problems) => panic!("variant does not load:\n{problems}\n---\n{source}"),
    };
    file.sites
        .iter()
        .map(|site| (site.id.clone(), site_revision(&file, &site.id).unwrap()))
        .collect()
}

fn www_revision(document: &Table) -> Revision {
    let source = toml::to_string(document).unwrap();
    let file = privacy::load(&source, "variant.toml").unwrap_or_else(|p| panic!("{p}"));
    site_revision(&file, "www").unwrap()
}

fn services_mut(document: &mut Table) -> &mut Vec<Value> {
    document
        .get_mut("services")
        .and_then(Value::as_array_mut)
        .unwrap()
}

#[test]
fn sites_have_their_own_revision_and_unknown_sites_none() {
    let all = revisions(&example_source());
    assert_eq!(all.len(), 3);
    assert_ne!(all[0].1, all[1].1);
    assert_ne!(all[1].1, all[2].1);
    assert_eq!(
        site_revision(&privacy::load(&example_source(), "x").unwrap(), "nope"),
        None
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn rewriting_the_file_keeps_every_revision(seed in 1u64..u64::MAX) {
        let original = revisions(&example_source());
        let rewritten = rewrite(&example_table(), &mut Dice(seed));
        prop_assert_ne!(&rewritten, &example_source());
        prop_assert_eq!(revisions(&rewritten), original, "rewritten:\n{}", rewritten);
    }

    #[test]
    fn changing_a_cookie_duration_changes_the_revision(pick in 0usize..1000, count in 1u32..500) {
        let mut document = example_table();
        let before = www_revision(&document);
        let services = services_mut(&mut document);
        let with_cookies: Vec<usize> = (0..services.len())
            .filter(|&i| services[i].get("cookies").and_then(Value::as_array).is_some_and(|c| !c.is_empty()))
            .collect();
        let service = &mut services[with_cookies[pick % with_cookies.len()]];
        let cookies = service.get_mut("cookies").and_then(Value::as_array_mut).unwrap();
        let index = pick % cookies.len();
        let cookie = cookies[index].as_table_mut().unwrap();
        let old = cookie["duration"].as_str().unwrap().to_owned();
        let new = format!("{count} weeks");
        prop_assume!(privacy::Duration::parse(&old) != privacy::Duration::parse(&new));
        cookie.insert("duration".into(), Value::String(new));
        prop_assert_ne!(www_revision(&document), before);
    }

    #[test]
    fn changing_a_purpose_text_changes_the_revision(pick in 0usize..1000, lang in 0usize..3, extra in "[a-zæøå ]{1,12}") {
        let mut document = example_table();
        let before = www_revision(&document);
        let services = services_mut(&mut document);
        let count = services.len();
        let purpose = services[pick % count].get_mut("purpose").and_then(Value::as_table_mut).unwrap();
        let lang = ["nb", "nn", "en"][lang];
        let text = format!("{}{}", purpose[lang].as_str().unwrap(), extra);
        purpose.insert(lang.into(), Value::String(text));
        prop_assert_ne!(www_revision(&document), before);
    }

    #[test]
    fn adding_a_service_changes_the_revision(pick in 0usize..1000, id in "[a-z][a-z0-9-]{0,10}") {
        let mut document = example_table();
        let before = www_revision(&document);
        let services = services_mut(&mut document);
        let count = services.len();
        let mut copy = services[pick % count].clone();
        let id = format!("extra-{id}");
        copy.as_table_mut().unwrap().insert("id".into(), Value::String(id));
        services.push(copy);
        prop_assert_ne!(www_revision(&document), before);
    }
}
