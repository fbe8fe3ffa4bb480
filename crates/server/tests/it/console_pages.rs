//! Snapshots of the console's pages in nb, nn and en, rendered by a real server on the test
//! clock with a few recorded choices. What differs from run to run (session and form tokens,
//! hashes over random receipt ids) is replaced before the comparison; everything else,
//! words, numbers, dates, markup and the chart, must stay as reviewed.

use kapsel_core::Clock;
use kapsel_core::console::{Role, password};
use kapsel_store::{Account, Accounts};
use kapsel_testkit::TestServer;

const PASSWORD: &str = "korrekt hest batteri stift";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The page with its run-to-run values replaced: 43-character tokens and 64-digit hashes.
fn redacted(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let hex = word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit());
        let token = word.len() == 43;
        out.push_str(if hex {
            "[hash]"
        } else if token {
            "[token]"
        } else {
            word
        });
        word.clear();
    };
    for c in html.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_render_as_reviewed() {
    // No checkpoint is signed during the test, so the ledger page does not depend on timing.
    let server = TestServer::start_with(|config| {
        config.checkpoint_interval = std::time::Duration::from_secs(24 * 60 * 60);
    })
    .await;
    for (action, analytics) in [
        ("accept_all", true),
        ("reject_all", false),
        ("custom", true),
    ] {
        let mut body = server.valid_body();
        body["action"] = action.into();
        body["categories"]["analytics"] = analytics.into();
        body["categories"]["functional"] = (action == "accept_all").into();
        body["categories"]["marketing"] = (action == "accept_all").into();
        body["services"]["google-analytics"] = analytics.into();
        let response = server.post_consent(&body).await;
        assert!(
            response.status().is_success(),
            "{}",
            response.text().await.unwrap()
        );
    }
    let now = server.clock.now_ms();
    server
        .store
        .add_account(&Account {
            name: "kari".into(),
            role: Role::Admin,
            password_hash: password::hash(PASSWORD, &kapsel_core::OsRandom).unwrap(),
            totp_secret: None,
            totp_last_step: None,
            disabled: false,
            created_ms: now,
            changed_ms: now,
        })
        .await
        .unwrap();
    let signed_in = client()
        .post(server.url("/console/sign-in?lang=en"))
        .form(&[("name", "kari"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    for lang in ["nb", "nn", "en"] {
        let sign_in = client()
            .get(server.url(&format!("/console/sign-in?lang={lang}")))
            .send()
            .await
            .unwrap();
        snapshot(
            format!("console_sign_in_{lang}.html"),
            sign_in.text().await.unwrap(),
        );
        for (name, path) in [
            ("overview", "/console?days=7"),
            ("ledger", "/console/ledger"),
            ("revisions", "/console/revisions"),
            ("scans", "/console/scans"),
            ("requests", "/console/requests"),
            ("retention", "/console/retention"),
            ("gate", "/console/gate"),
            ("documents", "/console/documents"),
            ("privacy_file", "/console/privacy-file"),
        ] {
            let separator = if path.contains('?') { '&' } else { '?' };
            let page = client()
                .get(server.url(&format!("{path}{separator}lang={lang}")))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), 200, "{path}");
            snapshot(
                format!("console_{name}_{lang}.html"),
                page.text().await.unwrap(),
            );
        }
    }
    server.stop().await;
}

fn snapshot(name: String, html: String) {
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, redacted(&html));
    });
}
