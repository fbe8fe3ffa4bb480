//! Unit tests of what moved out of the first layer and what it gained: the preference centre's
//! details (words shared with the documents, caching by revision), links that may never be
//! clickable, the keys of earlier revisions to delete, and Do Not Track.

use std::sync::Arc;

use axum::Router;
use axum::body::to_bytes;
use axum::http::{StatusCode, header};
use kapsel_core::Lang;
use kapsel_core::privacy::{PrivacyFile, RevisionDocument, Safeguard};
use kapsel_publish::declaration::safeguard_label;
use kapsel_publish::words::country_name;

use super::tests::{FILE, get, scripts, text};
use super::*;

fn file() -> PrivacyFile {
    match kapsel_core::privacy::load(FILE, "test.toml") {
        Ok(file) => file,
        Err(problems) => panic!("fixture does not load: {problems:?}"),
    }
}

fn build(file: &PrivacyFile, earlier: &EarlierRevisions) -> BannerScripts {
    match BannerScripts::build(file, |site| format!("rev-{site}"), earlier) {
        Ok(scripts) => scripts,
        Err(error) => panic!("build failed: {error}"),
    }
}

/// The fixture with nynorsk added to every text, so that the nn words can be read.
fn with_nynorsk() -> PrivacyFile {
    let mut file = file();
    file.languages.push(Lang::new("nn"));
    let nn = |text: &mut kapsel_core::Text| {
        if let Some(nb) = text.0.get("nb").cloned() {
            text.0.insert("nn".to_owned(), nb);
        }
    };
    for category in &mut file.categories {
        nn(&mut category.label);
        nn(&mut category.description);
    }
    for service in &mut file.services {
        nn(&mut service.purpose);
    }
    file
}

#[test]
fn details_speak_the_documents_words_in_nynorsk() {
    let file = with_nynorsk();
    let scripts = build(&file, &EarlierRevisions::new());
    let nn = text(scripts.details("shop").unwrap().script("nn").unwrap());
    let lang = Lang::new("nn");
    // Country names from the server, as the documents write them (Chromium has no nn names).
    assert_eq!(country_name("IE", &lang), "Irland");
    assert!(nn.contains("Annonse Ltd (Irland)"), "{nn}");
    assert!(nn.contains("Statistikk AS (Noreg)"), "{nn}");
    let sccs = safeguard_label(Safeguard::Sccs, &lang);
    assert!(
        nn.contains(&format!("USA: {}", sccs.to_lowercase())),
        "{nn}"
    );
    assert!(nn.contains("\"Føremål\""), "{nn}");
    assert!(nn.contains("Overføring til land utanfor EØS"), "{nn}");
    assert!(
        nn.contains("(tredjepart, sett på ads.example): 3 månader."),
        "{nn}"
    );
    for wrong in ["adekvans", "standardavtal", "formål", "Ireland", "Norway"] {
        assert!(!nn.contains(wrong), "{wrong:?} in {nn}");
    }
    // …and nothing of it in the first layer.
    let script = text(scripts.script("shop", None).unwrap());
    assert!(!script.contains("Vise annonser.") && !script.contains("Annonser."));
}

#[test]
fn details_link_the_privacy_centre_in_their_language() {
    let file = with_nynorsk();
    let scripts = build(&file, &EarlierRevisions::new());
    let details = scripts.details("shop").unwrap();
    for (lang, name) in [
        ("nb", "Dine personvernrettigheter"),
        ("nn", "Personvernrettane dine"),
    ] {
        let script = text(details.script(lang).unwrap());
        assert!(
            script.contains(&format!("\"rights\":\"/sites/shop/rights?lang={lang}\"")),
            "{script}"
        );
        assert!(
            script.contains(&format!("\"rights\":\"{name}\"")),
            "{script}"
        );
    }
    // The link text loads with the centre, not with the first layer.
    let first_layer = text(scripts.script("shop", None).unwrap());
    assert!(!first_layer.contains("Dine personvernrettigheter"));
}

#[test]
fn a_transfer_opens_its_cell_as_in_the_declaration() {
    let scripts = scripts();
    let en = text(scripts.details("shop").unwrap().script("en").unwrap());
    let sccs = safeguard_label(Safeguard::Sccs, &Lang::new("en")).to_lowercase();
    assert!(
        en.contains(&format!("\"The United States: {sccs}\"")),
        "{en}"
    );
}

#[test]
fn the_policy_link_belongs_to_the_provider() {
    let mut file = file();
    if let Some(ads) = file.services.iter_mut().find(|s| s.id == "ads") {
        ads.privacy_policy = Some("https://ads.example/privacy".to_owned());
    }
    let scripts = build(&file, &EarlierRevisions::new());
    let nb = text(scripts.details("shop").unwrap().script("nb").unwrap());
    assert!(
        nb.contains(
            r#""policy":["https://ads.example/privacy","Personvernerklæringen til Annonse Ltd"]"#
        ),
        "{nb}"
    );
}

#[test]
fn hostile_links_never_reach_the_banner() {
    let hostile = [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\u{1}javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
    ];
    for url in hostile {
        // The model as a hand-built caller could make it: `check` would refuse the file.
        let mut file = file();
        let text_of = |url: &str| {
            kapsel_core::Text(
                [("nb", url), ("en", url)]
                    .into_iter()
                    .map(|(l, u)| (l.to_owned(), u.to_owned()))
                    .collect(),
            )
        };
        for site in &mut file.sites {
            site.links.privacy_notice = Some(text_of(url));
            site.links.cookie_declaration = Some(text_of(url));
        }
        for service in &mut file.services {
            service.privacy_policy = Some(url.to_owned());
        }
        if let Some(authority) = file.organisation.authority.as_mut() {
            authority.url = url.to_owned();
        }
        let scripts = build(&file, &EarlierRevisions::new());
        for site in ["www", "shop"] {
            let script = text(scripts.script(site, None).unwrap());
            let details = text(scripts.details(site).unwrap().script("nb").unwrap());
            for body in [&script, &details] {
                let lower = body.to_lowercase();
                for scheme in [
                    "javascript:",
                    "vbscript:",
                    "data:text",
                    "java\\tscript",
                    "java\\nscript",
                ] {
                    assert!(
                        !lower.contains(scheme),
                        "{url:?} leaked into {site}: {body}"
                    );
                }
            }
            assert!(script.contains(&format!("\"/sites/{site}/privacy?lang=nb\"")));
            assert!(!details.contains("\"policy\""), "{details}");
        }
    }
    assert!(projection::is_safe_link("HTTPS://EXAMPLE.NO/x"));
    assert!(projection::is_safe_link("mailto:personvern@example.no"));
    assert!(!projection::is_safe_link("/relative"));
}

fn document_with(extra_cookies: &str) -> String {
    let toml = FILE.replace(
        "cookies = [{ name = \"_st_\", prefix = true, duration = \"13 months\" }]",
        &format!("cookies = [{{ name = \"_st_\", prefix = true, duration = \"13 months\" }}, {extra_cookies}]"),
    );
    let mut toml = toml.replace("services = [\"stats\"]", "services = [\"stats\", \"old\"]");
    toml.push_str(
        r#"
[[services]]
id = "old"
name = "Gammel sporing"
category = "analytics"
provider = { name = "Gammel AS", country = "NO" }
purpose = { nb = "Spore.", en = "Track." }
cookies = [
  { name = "_old", duration = "1 year" },
  { name = "_oldp_", prefix = true, duration = "1 year" },
  { name = "old-key", kind = "local_storage", duration = "persistent" },
  { name = "old-tab", kind = "session_storage", duration = "session" },
  { name = "_3p", party = "third", domain = "old.example", duration = "1 year" },
  { name = "_st_legacy", duration = "1 year" },
]
"#,
    );
    let earlier = match kapsel_core::privacy::load(&toml, "old.toml") {
        Ok(file) => file,
        Err(problems) => panic!("earlier fixture does not load: {problems:?}"),
    };
    RevisionDocument::of(&earlier, "www")
        .unwrap()
        .to_json()
        .unwrap()
}

#[test]
fn keys_of_earlier_revisions_are_deleted_unless_declared_now() {
    let file = file();
    let mut earlier = EarlierRevisions::new();
    earlier.insert(
        "www".to_owned(),
        vec![
            document_with(r#"{ name = "_st_dropped", duration = "1 day" }"#),
            "{not a document".to_owned(),
        ],
    );
    let scripts = build(&file, &earlier);
    let www = text(scripts.script("www", None).unwrap());
    assert!(
        www.contains(r#""gone":["c_old","C_oldp_","lold-key","sold-tab"]"#),
        "{www}"
    );
    // A third-party cookie cannot be deleted; `_st_legacy` and `_st_dropped` match the current
    // prefix `_st_`, which belongs to a service the visitor may allow.
    for kept in ["_3p", "_st_legacy", "_st_dropped"] {
        assert!(!www.contains(kept), "{kept} in {www}");
    }
    assert!(www.contains(r#""erase":["C_st_"]"#), "{www}");
    let shop = text(scripts.script("shop", None).unwrap());
    assert!(
        !shop.contains("\"gone\""),
        "other sites keep their own history"
    );
    assert!(
        !shop.contains("\"_ad\""),
        "third-party cookies are not erase keys"
    );
}

#[test]
fn dnt_as_gpc_reaches_the_banner_only_when_set() {
    let mut file = file();
    let off = build(&file, &EarlierRevisions::new());
    assert!(!text(off.script("www", None).unwrap()).contains("\"dnt\":true"));
    file.consent.dnt_as_gpc = true;
    let on = build(&file, &EarlierRevisions::new());
    assert!(text(on.script("www", None).unwrap()).contains("\"dnt\":true"));
}

#[tokio::test]
async fn details_are_cached_by_revision_and_tag() {
    let scripts = Arc::new(scripts());
    let router: Router = details::routes().with_state(scripts.clone());
    let www = text(scripts.script("www", None).unwrap());
    let tag = &scripts.details("www").unwrap().tag;
    let url = format!("/s/www/centre.js?rev=rev-www&v={tag}");
    assert!(www.contains(&format!("\"details\":\"{url}\"")), "{www}");

    let response = get(
        &router,
        &format!("{url}&lang=en"),
        Some((header::ACCEPT_ENCODING, "br")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let h = response.headers().clone();
    assert_eq!(h[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert_eq!(
        h[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(h[header::CONTENT_ENCODING], "br");
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let mut plain = Vec::new();
    assert!(brotli::BrotliDecompress(&mut &body[..], &mut plain).is_ok());
    assert_eq!(
        Some(plain.as_slice()),
        scripts.details("www").unwrap().script("en")
    );
    let etag = h[header::ETAG].to_str().unwrap().to_owned();
    let again = get(
        &router,
        &format!("{url}&lang=en"),
        Some((header::IF_NONE_MATCH, &etag)),
    )
    .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // A stale tag (an older Kapsel's script) gets the current words, briefly cached.
    let stale = get(&router, "/s/www/centre.js?rev=rev-www&v=0&lang=nb", None).await;
    assert_eq!(stale.status(), StatusCode::OK);
    assert_eq!(
        stale.headers()[header::CACHE_CONTROL],
        "public, max-age=300"
    );

    for (uri, status, field) in [
        ("/s/www/centre.js?rev=rev-old", StatusCode::NOT_FOUND, ""),
        ("/s/www/centre.js", StatusCode::BAD_REQUEST, "rev"),
        (
            "/s/www/centre.js?rev=rev-www&lang=de",
            StatusCode::BAD_REQUEST,
            "lang",
        ),
        ("/s/nope/centre.js?rev=rev-www", StatusCode::NOT_FOUND, ""),
    ] {
        let response = get(&router, uri, None).await;
        assert_eq!(response.status(), status, "{uri}");
        let body = text(&to_bytes(response.into_body(), 1 << 16).await.unwrap());
        assert!(body.contains(field), "{uri}: {body}");
    }
}
