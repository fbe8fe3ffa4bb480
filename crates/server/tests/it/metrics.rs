//! Metrics: behind the admin token on the public listener, open on the ops listener.

use kapsel_core::Secret;

use kapsel_testkit::{TestServer, assert_problem};

#[tokio::test]
async fn metrics_need_the_admin_token_on_the_public_listener() {
    let server = TestServer::start_with_ops(move |config| {
        config.admin_token = Secret::new("fictional-admin-token");
    })
    .await;
    let ops_base = server.ops_base.clone().unwrap();
    assert_eq!(
        server.post_consent(&server.valid_body()).await.status(),
        201
    );

    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 401, "Authorization").await;
    let response = server
        .client
        .get(server.url("/metrics"))
        .bearer_auth("wrong-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = server
        .client
        .get(server.url("/metrics"))
        .bearer_auth("fictional-admin-token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.contains("kapsel_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/v1/consent\""), "{text}");
    assert!(
        !text.contains("127.0.0.1"),
        "metrics must not carry addresses"
    );

    let open = server
        .client
        .get(format!("{ops_base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), 200);
    assert!(
        open.text()
            .await
            .unwrap()
            .contains("kapsel_consent_records_total")
    );
    server.stop().await;
}

#[tokio::test]
async fn without_a_token_public_metrics_are_not_served() {
    let server = TestServer::start().await;
    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    server.stop().await;
}
