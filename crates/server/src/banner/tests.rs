//! Unit tests of banner delivery: what a site's script carries, and how it is served.

use std::sync::Arc;

use axum::body::to_bytes;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use super::*;

pub(super) const FILE: &str = r#"
languages = ["nb", "en"]

[organisation]
name = "Fiktiv Testbedrift AS"
org_number = "999999999"
address = "Testveien 1, 0001 Oslo"
country = "NO"
email = "personvern@example.no"

[consent]
accept_duration = "12 months"
reject_duration = "6 months"

[[sites]]
id = "www"
name = "Testbedriften"
domains = ["www.example.no"]
cookie_domain = "example.no"
services = ["stats"]

[[sites]]
id = "shop"
name = "Testbutikken"
domains = ["shop.example.no"]

[[categories]]
id = "analytics"
label = { nb = "Statistikk", en = "Statistics" }
description = { nb = "Hvordan nettstedet brukes.", en = "How the website is used." }

[[categories]]
id = "marketing"
label = { nb = "Markedsføring", en = "Marketing" }
description = { nb = "Annonser.", en = "Advertising." }
marketing = true

[[services]]
id = "stats"
name = "Teststatistikk"
category = "analytics"
provider = { name = "Statistikk AS", country = "NO" }
purpose = { nb = "Telle besøk.", en = "Count visits." }
consent_mode = ["analytics_storage"]
cookies = [{ name = "_st_", prefix = true, duration = "13 months" }]

[[services]]
id = "ads"
name = "Testannonser"
category = "marketing"
provider = { name = "Annonse Ltd", country = "IE" }
purpose = { nb = "Vise annonser.", en = "Show ads." }
transfers = [{ country = "US", safeguard = "sccs" }]
cookies = [{ name = "_ad", duration = "3 months", party = "third", domain = "ads.example" }]
"#;

pub(super) fn scripts() -> BannerScripts {
    let file = match kapsel_core::privacy::load(FILE, "test.toml") {
        Ok(file) => file,
        Err(problems) => panic!("fixture does not load: {problems:?}"),
    };
    match BannerScripts::build(
        &file,
        |site| format!("rev-{site}"),
        &EarlierRevisions::new(),
    ) {
        Ok(scripts) => scripts,
        Err(error) => panic!("build failed: {error}"),
    }
}

pub(super) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_site_gets_only_what_it_declares() {
    let scripts = scripts();
    let www = text(scripts.script("www", None).unwrap_or_default());
    assert!(www.contains("\"revision\":\"rev-www\""), "{www}");
    assert!(www.contains("Teststatistikk"));
    assert!(
        !www.contains("Testannonser"),
        "a service the site does not list leaks into its script"
    );
    assert!(
        !www.contains("\"marketing\""),
        "a category with no service on the site is sent"
    );
    assert!(www.contains("\"cookie_domain\":\"example.no\""));
    assert!(www.contains("\"/sites/www/cookies?lang=nb\""));
    assert!(
        !www.contains("\"nn\":{\"title\""),
        "interface texts of a language the file does not declare are sent"
    );
    let shop = text(scripts.script("shop", None).unwrap_or_default());
    assert!(shop.contains("Testannonser") && shop.contains("\"marketing\":true"));
    let details = text(scripts.details("shop").unwrap().script("nb").unwrap());
    // The documents' words for the country and the safeguard (art. 46), not the banner's own.
    let sccs = kapsel_publish::declaration::safeguard_label(
        kapsel_core::privacy::Safeguard::Sccs,
        &kapsel_core::Lang::new("nb"),
    );
    assert!(
        details.contains(&format!("USA: {}", sccs.to_lowercase())),
        "{details}"
    );
}

#[test]
fn durations_are_milliseconds_and_normalised_words() {
    let www = text(scripts().script("www", None).unwrap_or_default());
    let year = 365 * 86_400_000_i64 + 86_400_000 / 4;
    assert!(www.contains(&format!("\"accept_ms\":{year}")), "{www}");
    let scripts = scripts();
    let details = text(scripts.details("www").unwrap().script("nb").unwrap());
    assert!(details.contains(": 13 måneder."), "{details}");
    let details = text(scripts.details("www").unwrap().script("en").unwrap());
    assert!(details.contains(": 13 months."), "{details}");
}

#[test]
fn the_script_is_the_banner_called_with_config_and_css() {
    let www = text(scripts().script("www", None).unwrap_or_default());
    assert!(www.starts_with("/*! Kapsel"));
    assert!(www.trim_end().ends_with(");"));
    assert!(www.contains("#kapsel-banner{"), "css is not inlined");
    assert!(
        !www.contains("KAPSEL_CONFIG") && !www.contains("KAPSEL_CSS"),
        "a placeholder is left"
    );
}

#[test]
fn accept_encoding_prefers_brotli_and_honours_q_zero() {
    let mut headers = HeaderMap::new();
    let mut pick = |value: &'static str| {
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
        pick_encoding(&headers)
    };
    assert_eq!(pick("gzip, deflate, br, zstd"), Some("br"));
    assert_eq!(pick("gzip"), Some("gzip"));
    assert_eq!(pick("br;q=0, gzip;q=0.5"), Some("gzip"));
    assert_eq!(pick("identity"), None);
    assert_eq!(pick_encoding(&HeaderMap::new()), None);
}

pub(super) async fn get(
    router: &Router,
    uri: &str,
    extra: Option<(header::HeaderName, &str)>,
) -> Response {
    let mut request = Request::builder().uri(uri);
    if let Some((name, value)) = extra {
        request = request.header(name, value);
    }
    let request = match request.body(Body::empty()) {
        Ok(request) => request,
        Err(error) => panic!("request: {error}"),
    };
    match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(error) => match error {},
    }
}

#[tokio::test]
async fn served_compressed_with_etag_and_cache_headers() {
    let scripts = Arc::new(scripts());
    let router: Router = routes().with_state(scripts.clone());
    let response = get(
        &router,
        "/s/www.js",
        Some((header::ACCEPT_ENCODING, "gzip, br")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let h = response.headers().clone();
    assert_eq!(
        h.get(header::CONTENT_ENCODING).map(|v| v.as_bytes()),
        Some(&b"br"[..])
    );
    assert_eq!(
        h.get(header::CACHE_CONTROL).map(|v| v.as_bytes()),
        Some(&b"public, max-age=300"[..])
    );
    let etag = h
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let mut plain = Vec::new();
    let decoded = brotli::BrotliDecompress(&mut &body[..], &mut plain);
    assert!(decoded.is_ok());
    assert_eq!(Some(plain.as_slice()), scripts.script("www", None));

    let again = get(&router, "/s/www.js", Some((header::IF_NONE_MATCH, &etag))).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let plain = get(&router, "/s/www.js", None).await;
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
}

#[tokio::test]
async fn unknown_site_is_a_404_problem_naming_the_site() {
    let router: Router = routes().with_state(Arc::new(scripts()));
    for uri in ["/s/nope.js", "/s/www"] {
        let response = get(&router, uri, None).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(&b"application/problem+json"[..])
        );
        let body = text(
            &to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap_or_default(),
        );
        assert!(
            body.contains("\"status\":404") && body.contains("site"),
            "{body}"
        );
    }
}

#[test]
fn a_lang_variant_carries_only_that_language() {
    let scripts = scripts();
    let en = text(scripts.script("www", Some("en")).unwrap_or_default());
    assert!(en.contains("\"langs\":[\"en\"]"), "{en}");
    assert!(en.contains("\"Statistics\""));
    assert!(
        !en.contains("\"Statistikk\""),
        "another language's text is in the en variant"
    );
    let details = scripts.details("www").unwrap();
    assert!(text(details.script("en").unwrap()).contains("Count visits."));
    assert!(!text(details.script("en").unwrap()).contains("Telle besøk."));
    assert!(!en.contains("\"nb\":{\"title\""));
    assert!(
        scripts.script("www", Some("nn")).is_none(),
        "nn is not a language of the file"
    );
}

#[tokio::test]
async fn an_unknown_lang_is_a_400_problem_naming_the_parameter() {
    let router: Router = routes().with_state(Arc::new(scripts()));
    let response = get(&router, "/s/www.js?lang=de", None).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = text(
        &to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap_or_default(),
    );
    assert!(
        body.contains("\"field\":\"lang\"") && body.contains("nb, en"),
        "{body}"
    );
    let ok = get(&router, "/s/www.js?lang=nb", None).await;
    assert_eq!(ok.status(), StatusCode::OK);
}
