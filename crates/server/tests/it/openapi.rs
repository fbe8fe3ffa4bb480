//! The OpenAPI description is served, is OpenAPI 3.1, and describes every route of the API:
//! those each feature's `routes()` adds (ops, consent, banner, pages, evidence, desk and its admin API, the gate). (The demo site's routes
//! are a showcase, not an API, and are left out.)

use serde_json::Value;

use kapsel_testkit::TestServer;

const ROUTE_SOURCES: [&str; 11] = [
    include_str!("../../src/router.rs"),
    include_str!("../../src/ops/mod.rs"),
    include_str!("../../src/consent/mod.rs"),
    include_str!("../../src/banner/mod.rs"),
    include_str!("../../src/banner/details.rs"),
    include_str!("../../src/pages/mod.rs"),
    include_str!("../../src/evidence/mod.rs"),
    include_str!("../../src/desk/mod.rs"),
    include_str!("../../src/desk/admin/mod.rs"),
    include_str!("../../src/gate/mod.rs"),
    include_str!("../../src/gate/admin.rs"),
];

/// Every path given to `.route("…"` in those files; the banner's `/s/{file}` is `/s/{site}.js`.
fn routes_in_router() -> Vec<String> {
    ROUTE_SOURCES
        .iter()
        .flat_map(|source| source.split(".route(\"").skip(1))
        .filter_map(|rest| rest.split('"').next())
        .map(|path| {
            if path == "/s/{file}" {
                "/s/{site}.js".to_owned()
            } else {
                path.to_owned()
            }
        })
        // The gate's ingest paths come from one table.
        .chain(
            kapsel_server::gate::ingest::PATHS
                .iter()
                .map(|(p, _)| (*p).to_owned()),
        )
        .collect()
}

#[tokio::test]
async fn every_route_is_described_and_the_document_is_served() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    let routes = routes_in_router();
    assert!(
        routes.len() >= 10,
        "router.rs parsing found only {routes:?}"
    );
    for route in routes {
        assert!(
            paths.contains_key(&route),
            "route {route} is missing from docs/openapi.json"
        );
    }
    let health = server
        .client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    server.stop().await;
}
