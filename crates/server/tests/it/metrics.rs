//! Metrics: behind the admin token on the public listener, open on the admin listener.

use kapsel_server::AdminToken;

use super::harness::{TestServer, assert_problem};

#[tokio::test]
async fn metrics_need_the_admin_token_on_the_public_listener() {
    let admin = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let admin_addr = admin.local_addr().unwrap();
    admin.set_nonblocking(true).unwrap();
    let server = TestServer::start_with(move |config| {
        config.admin_token = AdminToken::new("fictional-admin-token");
        config.admin_listener = Some(tokio::net::TcpListener::from_std(admin).unwrap());
    })
    .await;
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
        .get(format!("http://{admin_addr}/metrics"))
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
