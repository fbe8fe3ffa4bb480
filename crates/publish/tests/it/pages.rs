//! Snapshots of every page and export for the example privacy file in nb, nn and en.

use kapsel_core::Lang;
use kapsel_publish::render::PageKind;
use kapsel_publish::{
    ChangeLogRevision, Page, Publisher, change_log, cookie_declaration, privacy_notice,
    record_of_processing,
};

use kapsel_testkit::example_file;

use super::support::{PUBLISHED_MS, langs};

const SITE: &str = "www";

fn snapshot(name: String, content: String) {
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, content);
    });
}

#[test]
fn cookie_declaration_page_fragment_json_and_markdown() {
    let file = example_file();
    let publisher = Publisher::new();
    for lang in langs() {
        let doc = cookie_declaration(&file, SITE, &lang).unwrap();
        let page = Page::new(&file, SITE, &lang, PageKind::Cookies, Some(PUBLISHED_MS));
        snapshot(
            format!("declaration_{lang}.html"),
            publisher.declaration_page(&doc, &page).unwrap(),
        );
        snapshot(
            format!("declaration_fragment_{lang}.html"),
            publisher.declaration_fragment(&doc, &page).unwrap(),
        );
        snapshot(
            format!("declaration_{lang}.md"),
            publisher.declaration_markdown(&doc, &page).unwrap(),
        );
        snapshot(
            format!("declaration_{lang}.json"),
            serde_json::to_string_pretty(&doc).unwrap(),
        );
    }
}

#[test]
fn privacy_notice_page_json_and_markdown() {
    let file = example_file();
    let publisher = Publisher::new();
    for lang in langs() {
        let doc = privacy_notice(&file, SITE, &lang).unwrap();
        let page = Page::new(&file, SITE, &lang, PageKind::Privacy, Some(PUBLISHED_MS));
        snapshot(
            format!("notice_{lang}.html"),
            publisher.notice_page(&doc, &page).unwrap(),
        );
        snapshot(
            format!("notice_{lang}.md"),
            publisher.notice_markdown(&doc, &page).unwrap(),
        );
        snapshot(
            format!("notice_{lang}.json"),
            serde_json::to_string_pretty(&doc).unwrap(),
        );
    }
}

#[test]
fn record_of_processing_csv_json_and_html() {
    let file = example_file();
    let publisher = Publisher::new();
    for lang in langs() {
        let doc = record_of_processing(&file, &lang).unwrap();
        let page = Page::new(&file, SITE, &lang, PageKind::Ropa, Some(PUBLISHED_MS));
        snapshot(
            format!("ropa_{lang}.html"),
            publisher.ropa_page(&doc, &page).unwrap(),
        );
        snapshot(format!("ropa_{lang}.csv"), doc.to_csv());
        snapshot(
            format!("ropa_{lang}.json"),
            serde_json::to_string_pretty(&doc).unwrap(),
        );
    }
}

#[test]
fn change_log_page_and_markdown() {
    let new = example_file();
    let mut old = new.clone();
    // The older revision had no Intercom chat and kept _ga for 13 months.
    old.services.retain(|service| service.id != "intercom");
    for service in &mut old.services {
        for cookie in &mut service.cookies {
            if cookie.name == "_ga" {
                cookie.duration = "13 months".to_owned();
            }
        }
    }
    let revisions = vec![
        ChangeLogRevision {
            revision: "r1-aaaaaaaa".to_owned(),
            published_ms: PUBLISHED_MS - 86_400_000 * 40,
            file: old,
        },
        ChangeLogRevision {
            revision: "r2-bbbbbbbb".to_owned(),
            published_ms: PUBLISHED_MS,
            file: new.clone(),
        },
    ];
    let publisher = Publisher::new();
    for lang in langs() {
        let log = change_log(&new, &revisions, SITE, &lang).unwrap();
        assert!(!log.revisions[0].sentences.is_empty());
        let page = Page::new(&new, SITE, &lang, PageKind::Changes, Some(PUBLISHED_MS));
        snapshot(
            format!("changes_{lang}.html"),
            publisher.change_log_page(&log, &page).unwrap(),
        );
        snapshot(
            format!("changes_{lang}.md"),
            publisher.change_log_markdown(&log, &page).unwrap(),
        );
    }
}

#[test]
fn texts_from_the_file_are_escaped() {
    let mut file = example_file();
    file.sites[0].name = "<script>alert(1)</script> & co".to_owned();
    let lang = Lang::new("en");
    let doc = cookie_declaration(&file, SITE, &lang).unwrap();
    let page = Page::new(&file, SITE, &lang, PageKind::Cookies, None);
    let html = Publisher::new().declaration_page(&doc, &page).unwrap();
    assert!(!html.contains("<script>alert"), "unescaped site name");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; co"));
    assert!(html.contains("not yet published"));
}

#[test]
fn every_page_declares_its_language_and_landmarks() {
    let file = example_file();
    let publisher = Publisher::new();
    for lang in langs() {
        let page = Page::new(&file, SITE, &lang, PageKind::Cookies, Some(PUBLISHED_MS));
        let pages = [
            publisher
                .declaration_page(&cookie_declaration(&file, SITE, &lang).unwrap(), &page)
                .unwrap(),
            publisher
                .notice_page(&privacy_notice(&file, SITE, &lang).unwrap(), &page)
                .unwrap(),
            publisher
                .ropa_page(&record_of_processing(&file, &lang).unwrap(), &page)
                .unwrap(),
            publisher
                .change_log_page(&change_log(&file, &[], SITE, &lang).unwrap(), &page)
                .unwrap(),
        ];
        for html in pages {
            assert!(html.starts_with("<!doctype html>"));
            assert!(html.contains(&format!("<html lang=\"{lang}\">")));
            for landmark in [
                "<header>",
                "<main id=\"main\">",
                "<footer>",
                "<nav aria-label=",
            ] {
                assert!(html.contains(landmark), "{landmark} missing");
            }
            assert_eq!(html.matches("<h1").count(), 1, "exactly one h1");
            assert!(html.contains("<time datetime=\"2026-03-03\">"));
            assert!(!html.contains("<th>"), "every th has a scope");
        }
    }
}

#[test]
fn unknown_site_and_language_are_named() {
    let file = example_file();
    let err = cookie_declaration(&file, "nope", &Lang::new("nb")).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    let err = privacy_notice(&file, SITE, &Lang::new("de")).unwrap_err();
    assert!(
        err.to_string().contains("`lang`") && err.to_string().contains("de"),
        "{err}"
    );
}
