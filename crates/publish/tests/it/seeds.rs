//! The cookie tables of seed policies 002 (English) and 004 (Norwegian), rebuilt from privacy
//! files under `tests/fixtures/` and rendered: every cookie, provider and duration the
//! policies state must appear, each cookie in its own row with its duration in words.

use kapsel_core::Lang;
use kapsel_publish::render::PageKind;
use kapsel_publish::{Page, Publisher, cookie_declaration};

use super::support::{PUBLISHED_MS, fixture};

fn declaration_html(file_name: &str, site: &str, lang: &str) -> String {
    let file = fixture(file_name);
    let lang = Lang::new(lang);
    let doc = cookie_declaration(&file, site, &lang).unwrap();
    let page = Page::new(&file, site, &lang, PageKind::Cookies, Some(PUBLISHED_MS));
    Publisher::new().declaration_page(&doc, &page).unwrap()
}

/// The table row of cookie `name`.
fn row<'a>(html: &'a str, name: &str) -> &'a str {
    let marker = format!("<th scope=\"row\"><code>{name}</code>");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no row for cookie {name}"));
    let end = html[start..]
        .find("</tr>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

fn assert_rows(html: &str, expected: &[(&str, &str)]) {
    for (name, duration) in expected {
        let row = row(html, &name.replace('&', "&amp;"));
        if !duration.is_empty() {
            assert!(
                row.contains(duration),
                "{name}: expected duration `{duration}` in {row}"
            );
        }
    }
}

const SESSION_EN: &str = "Deleted when you close your browser";
const SESSION_NB: &str = "Slettes når du lukker nettleseren";

#[test]
fn seed_002_cookie_tables_are_rebuilt() {
    let html = declaration_html("seed-002-saas.toml", "web", "en");
    assert_rows(
        &html,
        &[
            ("hs_ab_test", SESSION_EN),
            ("__hs_do_not_track", "6 months"),
            ("__hs_cookie_cat_pref", "6 months"),
            ("__cf_bm", "30 minutes"),
            ("ajs_anonymous_id", "1 year"),
            ("ajs_group_id", "1 year"),
            ("ajs_user_id", "1 year"),
            ("fr", "3 months"),
            ("_gcl_au", "3 months"),
            ("_lfa", "1 year"),
            ("VISITOR_INFO1_LIVE", "6 months"),
        ],
    );
    for provider in [
        "HubSpot",
        "Facebook",
        "YouTube",
        "Leadfeeder",
        "Google AdSense",
        "Microsoft Clarity",
    ] {
        assert!(html.contains(provider), "provider {provider} missing");
    }
    assert!(
        html.contains("bot protection"),
        "the policy's purpose for __cf_bm"
    );
    for category in ["Necessary", "Performance", "Functionality", "Targeting"] {
        assert!(
            html.contains(&format!(">{category}</h2>")),
            "category {category}"
        );
    }
}

#[test]
fn seed_004_cookie_tables_are_rebuilt_per_site() {
    let kompetanse = declaration_html("seed-004-kompetanse.toml", "kompetansenorge", "nb");
    assert_rows(
        &kompetanse,
        &[("ASP.NET_SessionId", SESSION_NB), ("FormCookie", "")],
    );
    assert!(kompetanse.contains("EPiServer"));

    let karriere = declaration_html("seed-004-kompetanse.toml", "karriereveiledning", "nb");
    assert_rows(
        &karriere,
        &[
            ("_ga", "2 år"),
            ("_gat", "10 minutter"),
            ("__zlcmld", "1 år"),
        ],
    );
    assert!(karriere.contains("karriereveileder"));

    let utdanning = declaration_html("seed-004-kompetanse.toml", "utdanning", "nb");
    assert_rows(
        &utdanning,
        &[
            ("Has_js", SESSION_NB),
            ("solrSearchSession", "30 dager"),
            ("__atuvc", ""),
            ("__utma", "2 år"),
            ("__utmb", "30 minutter"),
            ("__utmc", "6 måneder"),
            ("__utmz", SESSION_NB),
            ("FeideOidcState", SESSION_NB),
            ("FeideOidcNonce", SESSION_NB),
            ("FeideOidcUser", SESSION_NB),
            ("SelectedSchoolYear", SESSION_NB),
            ("SelectedAarstrinn", SESSION_NB),
            ("nmstat", ""),
            ("_tmc", ""),
        ],
    );
    for tool in ["Siteimprove", "Task Analytics", "Google Analytics", "Feide"] {
        assert!(utdanning.contains(tool), "tool {tool} missing");
    }
    // Each site shows only its own cookies.
    assert!(!kompetanse.contains("<code>_ga</code>"));
    assert!(!karriere.contains("<code>Has_js</code>"));
}
