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

#[tokio::test]
async fn made_up_methods_do_not_grow_the_metrics() {
    let server = TestServer::start_with_ops(|_| {}).await;
    let metrics_url = format!("{}/metrics", server.ops_base.clone().unwrap());
    for n in 0..500 {
        let method = reqwest::Method::from_bytes(format!("RANDOM{n:04}X").as_bytes()).unwrap();
        let response = server.client.request(method, server.url("/v1/consent"));
        let status = response.send().await.unwrap().status();
        assert_eq!(status, 405);
    }
    let response = server.client.get(&metrics_url).send().await.unwrap();
    let text = response.text().await.unwrap();
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(!text.contains("RANDOM"), "a made-up method became a label");
    let known = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "other",
    ];
    for value in text.split("method=\"").skip(1) {
        let method = value.split('"').next().unwrap();
        assert!(known.contains(&method), "method label {method:?}");
    }
    for value in text.split("status=\"").skip(1) {
        let status = value.split('"').next().unwrap();
        assert!(
            status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit()),
            "status label {status:?}"
        );
    }
    server.stop().await;
}
