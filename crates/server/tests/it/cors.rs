//! CORS: declared domains (and local hosts) get CORS headers and preflight answers; others none.

use kapsel_testkit::TestServer;

async fn preflight(server: &TestServer, origin: &str) -> reqwest::Response {
    server
        .client
        .request(reqwest::Method::OPTIONS, server.url("/v1/consent"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn declared_domains_are_allowed_and_others_get_no_cors_headers() {
    let server = TestServer::start().await;
    for origin in [
        "https://www.example.no",
        "https://pamelding.example.no",
        "http://localhost:5173",
    ] {
        let response = preflight(&server, origin).await;
        assert_eq!(response.status(), 204, "{origin}");
        assert_eq!(response.headers()["access-control-allow-origin"], origin);
        let methods = response.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap();
        assert!(methods.contains("POST"), "{methods}");
        assert!(
            response.headers()["access-control-allow-headers"]
                .to_str()
                .unwrap()
                .contains("content-type")
        );
    }
    for origin in [
        "https://evil.example",
        "https://www.example.no.evil.example",
        "null",
    ] {
        let response = preflight(&server, origin).await;
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{origin} was allowed"
        );
        assert!(
            response
                .headers()
                .get("access-control-allow-methods")
                .is_none(),
            "{origin}"
        );
    }

    // The actual request from an allowed origin carries the header and exposes Location.
    let response = server
        .client
        .post(server.url("/v1/consent"))
        .header("origin", "https://www.example.no")
        .json(&server.valid_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://www.example.no"
    );
    assert!(
        response.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("Location")
    );

    // From a foreign origin: refused and no CORS header, so a browser could not even read why.
    let response = server
        .client
        .post(server.url("/v1/consent"))
        .header("origin", "https://evil.example")
        .json(&server.valid_body())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // Receipts too.
    let response = server
        .client
        .get(server.url("/v1/receipts/0123456789ABCDEFGHJKMNPQRS"))
        .header("origin", "https://example.no")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://example.no"
    );
    server.stop().await;
}
