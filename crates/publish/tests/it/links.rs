//! No page ever carries a clickable link that is not https:, http: or mailto:, even when the
//! model was built by hand and never checked: `javascript:`, `data:`, `vbscript:` and their
//! mixed-case and control-character variants are shown as text or not at all. The notice and
//! the declaration page link the site's privacy centre.

use kapsel_core::privacy::Authority;
use kapsel_publish::render::PageKind;
use kapsel_publish::{Page, Publisher, cookie_declaration, privacy_notice};
use kapsel_testkit::example_file;

use super::support::{PUBLISHED_MS, langs};

const UNSAFE: [&str; 5] = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "\u{1}java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
];

#[test]
fn unsafe_links_from_an_unchecked_model_are_never_clickable() {
    let publisher = Publisher::new();
    for url in UNSAFE {
        let mut file = example_file();
        for service in &mut file.services {
            service.privacy_policy = Some(url.to_owned());
        }
        let mut text = kapsel_core::Text::default();
        for lang in &file.languages {
            text.0.insert(lang.to_string(), "Datatilsynet".to_owned());
        }
        file.organisation.authority = Some(Authority {
            name: text,
            url: url.to_owned(),
            address: None,
        });
        for lang in langs() {
            let declaration = cookie_declaration(&file, "www", &lang).unwrap();
            let page = Page::new(&file, "www", &lang, PageKind::Cookies, Some(PUBLISHED_MS));
            let notice = privacy_notice(&file, "www", &lang).unwrap();
            let notice_page = Page::new(&file, "www", &lang, PageKind::Privacy, Some(PUBLISHED_MS));
            for html in [
                publisher.declaration_page(&declaration, &page).unwrap(),
                publisher.declaration_fragment(&declaration, &page).unwrap(),
                publisher.notice_page(&notice, &notice_page).unwrap(),
            ] {
                let lower = html.to_lowercase();
                for scheme in [
                    "javascript",
                    "data:",
                    "vbscript",
                    "java\tscript",
                    "java&#x9;script",
                ] {
                    assert!(
                        !lower.contains(&format!("href=\"{scheme}")),
                        "{url:?} became a link"
                    );
                }
                assert!(!html.contains("href=\"\u{1}"), "{url:?} became a link");
            }
            assert!(
                publisher
                    .notice_markdown(&notice, &notice_page)
                    .unwrap()
                    .contains("Datatilsynet")
            );
        }
    }
}

/// The notice (in its rights section) and the declaration page (under its introduction) link
/// the site's privacy centre in the page's language; the embeddable fragment does not, as a
/// path there would lead to the operator's own host.
#[test]
fn the_notice_and_the_declaration_link_the_privacy_centre() {
    let file = example_file();
    let publisher = Publisher::new();
    for lang in langs() {
        let link = format!(
            "<a href=\"&#x2f;sites&#x2f;www&#x2f;rights?lang={lang}\">{}</a>",
            kapsel_publish::words::label(&lang, "rights_centre")
        );
        let notice = privacy_notice(&file, "www", &lang).unwrap();
        let page = Page::new(&file, "www", &lang, PageKind::Privacy, Some(PUBLISHED_MS));
        let html = publisher.notice_page(&notice, &page).unwrap();
        let rights =
            &html[html.find("id=\"rights\"").unwrap()..html.find("id=\"complaint\"").unwrap()];
        assert!(rights.contains(&link), "{lang}: notice");
        let declaration = cookie_declaration(&file, "www", &lang).unwrap();
        let page = Page::new(&file, "www", &lang, PageKind::Cookies, Some(PUBLISHED_MS));
        let html = publisher.declaration_page(&declaration, &page).unwrap();
        let first_category = html.find("kapsel-declaration__category\"").unwrap();
        assert!(
            html[..first_category].contains(&link),
            "{lang}: declaration"
        );
        let fragment = publisher.declaration_fragment(&declaration, &page).unwrap();
        assert!(!fragment.contains("rights?lang="), "{lang}: fragment");
    }
}
