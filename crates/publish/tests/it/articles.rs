//! Every art. 13(1)–(2) item appears in the notice, and every art. 30(1) item in the record of
//! processing, for every activity of the example file and in every language.

use kapsel_core::privacy::{LegalBasis, PrivacyFile};
use kapsel_core::{Lang, Text};
use kapsel_publish::render::PageKind;
use kapsel_publish::words::label;
use kapsel_publish::{Page, Publisher, privacy_notice, record_of_processing};

use kapsel_testkit::example_file;

use super::support::{PUBLISHED_MS, fixture, langs};

fn text(t: &Text, lang: &Lang) -> String {
    t.get(lang, &[]).unwrap().to_owned()
}

/// minijinja escapes these; compare with the escaped form.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_lowercase().chain(chars).collect())
}

/// The part of a notice page about one activity.
fn activity_section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"activity-{id}\"")).unwrap();
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap()]
}

fn assert_has(html: &str, needle: &str, what: &str) {
    assert!(
        html.contains(&escaped(needle)),
        "{what}: `{needle}` is missing"
    );
}

fn check_notice(file: &PrivacyFile, site: &str) {
    let publisher = Publisher::new();
    for lang in &file.languages {
        let doc = privacy_notice(file, site, lang).unwrap();
        let page = Page::new(file, site, lang, PageKind::Privacy, Some(PUBLISHED_MS));
        let html = publisher.notice_page(&doc, &page).unwrap();
        let org = &file.organisation;
        assert_has(&html, &org.name, "13(1)(a) controller");
        assert_has(&html, &org.email, "13(1)(a) contact");
        assert_has(&html, &org.address, "13(1)(a) address");
        match &org.dpo {
            Some(dpo) => assert_has(&html, &dpo.email, "13(1)(b) DPO"),
            None => assert_has(&html, label(lang, "no_dpo"), "13(1)(b) no DPO"),
        }
        for activity in &file.activities {
            let what = |item: &str| format!("{} {item}", activity.id);
            assert_has(
                &html,
                &text(&activity.purpose, lang),
                &what("13(1)(c) purpose"),
            );
            assert_has(
                &html,
                kapsel_publish::notice::legal_basis_label(activity.legal_basis, lang),
                &what("13(1)(c) legal basis"),
            );
            if activity.legal_basis == LegalBasis::LegitimateInterests {
                assert_has(
                    &html,
                    &text(activity.legitimate_interest.as_ref().unwrap(), lang),
                    &what("13(1)(d)"),
                );
            }
            let section = activity_section(&html, &activity.id);
            let dt = |key: &str| format!("<dt>{}</dt>", escaped(label(lang, key)));
            match &activity.recipients {
                Some(r) => assert_has(section, &text(r, lang), &what("13(1)(e) recipients")),
                // Nothing is said about recipients the file does not name.
                None => assert!(!section.contains(&dt("recipients")), "{}", what("13(1)(e)")),
            }
            for id in &activity.services {
                let service = file.service(id).unwrap();
                if service.provider.name == file.organisation.name {
                    continue;
                }
                assert_has(section, &service.provider.name, &what("13(1)(e) provider"));
                if let Some(role) = service.role {
                    let named = format!(
                        "{} ({}), {}",
                        service.provider.name,
                        kapsel_publish::words::country_name(&service.provider.country, lang),
                        kapsel_publish::words::role_label(role, lang)
                    );
                    assert_has(section, &named, &what("13(1)(e) role"));
                }
            }
            for processor in &activity.processors {
                assert_has(&html, &processor.name, &what("13(1)(e) processor"));
            }
            let record = doc.activities.iter().find(|a| a.id == activity.id).unwrap();
            if record.transfers.is_empty() {
                assert_has(&html, label(lang, "no_transfers"), &what("13(1)(f)"));
            }
            for group in &record.transfers {
                for safeguard in &group.safeguards {
                    assert_has(
                        section,
                        &lower_first(&safeguard.label),
                        &what("13(1)(f) safeguard"),
                    );
                }
                if let Some(provider) = &group.provider {
                    // Each provider's transfer to a country is said once, naming the provider.
                    let line = format!(
                        "{} ({}) → ",
                        escaped(provider),
                        escaped(&group.services.join(", "))
                    );
                    assert_eq!(
                        section.matches(&line).count(),
                        1,
                        "{}",
                        what("13(1)(f) provider")
                    );
                }
            }
            let pairs: Vec<_> = record
                .transfers
                .iter()
                .map(|g| (&g.provider, &g.country))
                .collect();
            let mut unique = pairs.clone();
            unique.dedup();
            assert_eq!(pairs.len(), unique.len(), "{}", what("13(1)(f) grouped"));
            assert_has(
                &html,
                &text(&activity.retention, lang),
                &what("13(2)(a) retention"),
            );
            assert_has(&html, &record.requirement, &what("13(2)(e)"));
            match &activity.automated_decisions {
                Some(a) => assert_has(section, &text(a, lang), &what("13(2)(f)")),
                // Never a claim the file does not make: no "no automated decisions" of our own.
                None => assert!(!section.contains(&dt("automated")), "{}", what("13(2)(f)")),
            }
            match &activity.source {
                Some(s) => assert_has(&html, &text(s, lang), &what("14(2)(f) source")),
                None => assert_has(&html, label(lang, "source_you"), &what("14(2)(f) source")),
            }
            assert_has(
                &html,
                &text(&activity.data_categories, lang),
                &what("14(1)(d) categories"),
            );
        }
        for right in &doc.rights {
            assert_has(&html, right.title, "13(2)(b) rights");
        }
        assert_has(&html, &doc.rights_how, "13(2)(b) how");
        assert_has(&html, doc.withdraw_consent.text, "13(2)(c) withdraw");
        assert_has(&html, &doc.authority.name, "13(2)(d) authority");
        assert_has(&html, &doc.authority.url, "13(2)(d) authority url");
        for section in &file.notice.sections {
            assert_has(&html, &text(&section.title, lang), "operator section");
        }
    }
}

#[test]
fn every_article_13_item_appears_for_every_activity() {
    let file = example_file();
    assert!(!file.activities.is_empty());
    check_notice(&file, "www");
    check_notice(&fixture("seed-002-saas.toml"), "web");
    check_notice(&fixture("seed-004-kompetanse.toml"), "utdanning");
}

#[test]
fn every_article_30_item_appears_for_every_activity() {
    let file = example_file();
    let publisher = Publisher::new();
    for lang in langs() {
        let record = record_of_processing(&file, &lang).unwrap();
        let csv = record.to_csv();
        let page = Page::new(&file, "www", &lang, PageKind::Ropa, Some(PUBLISHED_MS));
        let html = publisher.ropa_page(&record, &page).unwrap();
        assert_eq!(
            csv.lines().count(),
            file.activities.len() + 1,
            "one row per activity"
        );
        for output in [&csv, &html] {
            let plain = output.contains(',') && !output.contains("<html");
            let find = |needle: &str, what: &str| {
                let needle = if plain {
                    needle.replace('"', "\"\"")
                } else {
                    escaped(needle)
                };
                assert!(
                    output.contains(&needle),
                    "{what}: `{needle}` missing ({lang})"
                );
            };
            find(&file.organisation.name, "30(1)(a) controller");
            if let Some(dpo) = &file.organisation.dpo {
                find(&dpo.email, "30(1)(a) DPO");
            }
            for activity in &file.activities {
                find(&text(&activity.purpose, &lang), "30(1)(b) purpose");
                find(&text(&activity.data_subjects, &lang), "30(1)(c) subjects");
                find(
                    &text(&activity.data_categories, &lang),
                    "30(1)(c) categories",
                );
                if let Some(r) = &activity.recipients {
                    find(&text(r, &lang), "30(1)(d) recipients");
                }
                for processor in &activity.processors {
                    find(&processor.name, "30(1)(d) processors");
                }
                let row = record
                    .activities
                    .iter()
                    .find(|a| a.id == activity.id)
                    .unwrap();
                for group in &row.transfers {
                    for safeguard in &group.safeguards {
                        let label = if plain {
                            safeguard.label.clone()
                        } else {
                            lower_first(&safeguard.label)
                        };
                        find(&label, "30(1)(e) transfers");
                    }
                }
                find(&text(&activity.retention, &lang), "30(1)(f) retention");
                if let Some(measures) = &activity.security_measures {
                    find(&text(measures, &lang), "30(1)(g) security");
                }
            }
        }
    }
}
