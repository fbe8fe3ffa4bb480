//! Headers and protocol at the public edge: HTML pages carry a CSP, nosniff, a framing rule and
//! a referrer policy (the cookie-declaration fragment may be framed by its site's domains only);
//! the banner script is nosniff; the Origin's scheme is checked and local origins pass only for
//! a site that declares them; duplicate JSON keys and non-UTF-8 charsets are refused.

use kapsel_testkit::{TestServer, assert_problem, example_source};

async fn get(server: &TestServer, path: &str) -> reqwest::Response {
    server.client.get(server.url(path)).send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} on {}", response.url()))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn html_pages_carry_a_csp_nosniff_a_framing_rule_and_no_referrer() {
    let server = TestServer::start_with(|config| config.demo = true).await;
    for path in [
        "/sites/www/cookies",
        "/sites/www/privacy",
        "/sites/www/changes",
    ] {
        let response = get(&server, path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert_eq!(header(&response, "referrer-policy"), "no-referrer");
        assert_eq!(header(&response, "x-frame-options"), "DENY");
        let csp = header(&response, "content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }
    // The fragment is embedded by the site: framed by its declared domains only.
    let response = get(&server, "/sites/www/cookies/fragment").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-frame-options").is_none());
    let csp = header(&response, "content-security-policy");
    assert!(
        csp.contains("frame-ancestors https://www.example.no https://example.no"),
        "{csp}"
    );
    assert!(!csp.contains("localhost"), "{csp}");
    // The demo: its own loopback origins, framed by them only.
    let response = get(&server, "/demo/").await;
    assert_eq!(response.status(), 200);
    let csp = header(&response, "content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'self' http://localhost:*"),
        "{csp}"
    );
    assert!(csp.contains("object-src 'none'"), "{csp}");
    assert_eq!(header(&response, "referrer-policy"), "no-referrer");
    // The banner script and JSON answers are nosniff.
    for path in [
        "/s/www.js",
        "/openapi.json",
        "/v1/receipts/0123456789ABCDEFGHJKMNPQRS",
    ] {
        let response = get(&server, path).await;
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
    }
    server.stop().await;
}

async fn post_from(server: &TestServer, origin: &str) -> reqwest::Response {
    server
        .client
        .post(server.url("/v1/consent"))
        .header("origin", origin)
        .json(&server.valid_body())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_origin_scheme_is_checked_and_local_origins_need_a_site_that_declares_them() {
    let server = TestServer::start().await;
    for origin in ["ftp://www.example.no", "http://www.example.no"] {
        let response = post_from(&server, origin).await;
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{origin}"
        );
        assert_problem(response, 403, "Origin").await;
    }
    // Site `www` declares no local host: a local origin may not speak for it, even though the
    // demo site declares localhost (CORS answers it, the consent check refuses it).
    let response = post_from(&server, "http://localhost:5173").await;
    assert_problem(response, 403, "Origin").await;
    server.stop().await;

    // Without a site declaring a local host, no local origin gets CORS headers at all.
    let source = example_source().replace(
        r#"domains = ["localhost", "127.0.0.1"]"#,
        r#"domains = ["demo.example.no"]"#,
    );
    let file = kapsel_core::privacy::load(&source, "kapsel.toml").unwrap();
    let server = TestServer::launch(file, false, |_| {}).await;
    for origin in [
        "http://localhost:5173",
        "http://127.0.0.1:8080",
        "http://[::1]:80",
    ] {
        let response = server
            .client
            .request(reqwest::Method::OPTIONS, server.url("/v1/consent"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{origin} was allowed"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn duplicate_keys_and_foreign_charsets_are_refused_naming_what() {
    let server = TestServer::start().await;
    let revision = server.revision("www");
    let post = |content_type: &'static str, body: String| {
        server
            .client
            .post(server.url("/v1/consent"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let twice = format!(
        r#"{{"site":"www","revision":"{revision}","language":"nb","action":"reject_all","action":"accept_all"}}"#
    );
    let body = assert_problem(
        post("application/json", twice).await.unwrap(),
        400,
        "action",
    )
    .await;
    assert_eq!(body["type"], "/problems/duplicate-key");
    let nested = format!(
        r#"{{"site":"www","revision":"{revision}","language":"nb","action":"custom","categories":{{"analytics":false,"analytics":true}}}}"#
    );
    assert_problem(
        post("application/json", nested).await.unwrap(),
        400,
        "categories.analytics",
    )
    .await;
    let valid = serde_json::to_string(&server.valid_body()).unwrap();
    for charset in [
        "application/json; charset=utf-16",
        "application/json; charset=\"ISO-8859-1\"",
    ] {
        let response = post(charset, valid.clone()).await.unwrap();
        assert_problem(response, 415, "Content-Type").await;
    }
    let fine = post("application/json; charset=UTF-8", valid)
        .await
        .unwrap();
    assert_eq!(fine.status(), 201);
    assert_eq!(server.ledger_len().await, 1);
    server.stop().await;
}
