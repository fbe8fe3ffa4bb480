//! The privacy centre and the requester's links, over HTTP against a real server and its
//! SQLite store: the page in each language, a request mailed through the outbox, the link
//! verifying the case, the status page with the legal due date, one refusal page for every bad
//! link, hostile input refused naming the field with nothing written (problem JSON for API
//! clients, the form again with an error summary for browsers), and no enumeration.

use kapsel_core::Clock as _;
use kapsel_core::desk::{CaseState, Right};
use kapsel_store::{CaseStore, Outbox, OutboxMail};
use kapsel_testkit::{TestServer, assert_problem};

const FORM: &str = "application/x-www-form-urlencoded";

/// A client that does not follow redirects, so the 303 after verification is seen.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post(server: &TestServer, lang: &str, body: &str) -> reqwest::Response {
    client()
        .post(server.url(&format!("/sites/www/rights?lang={lang}")))
        .header("content-type", FORM)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn outbox(server: &TestServer) -> Vec<OutboxMail> {
    server.store.list(None, 100).await.unwrap()
}

/// The path and query of the verification link in `mail`.
fn verify_path(mail: &OutboxMail) -> String {
    let start = mail
        .body_text
        .find("/sites/www/rights/verify?t=")
        .unwrap_or_else(|| panic!("no verify link in {:?}", mail.body_text));
    let rest = &mail.body_text[start..];
    rest.split_whitespace().next().unwrap().to_owned()
}

async fn get(server: &TestServer, path: &str) -> (u16, String) {
    let response = client().get(server.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn the_centre_renders_in_each_language_with_a_form_per_right() {
    let server = TestServer::start().await;
    for (lang, title, access) in [
        ("nb", "Dine personvernrettigheter", "Innsyn (art. 15)"),
        ("nn", "Personvernrettane dine", "Innsyn (art. 15)"),
        ("en", "Your privacy rights", "Access (art. 15)"),
    ] {
        let response = client()
            .get(server.url(&format!("/sites/www/rights?lang={lang}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{lang}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("form-action 'self'"), "{csp}");
        assert!(!csp.contains("script-src"), "no script on the page: {csp}");
        let html = response.text().await.unwrap();
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{lang}");
        assert!(html.contains(title) && html.contains(access), "{lang}");
        assert!(
            html.contains("Fjellvind Kurs AS"),
            "the controller is named"
        );
        assert_eq!(html.matches("<form method=\"post\"").count(), 6, "{lang}");
        for right in [
            "access",
            "rectification",
            "erasure",
            "restriction",
            "objection",
            "portability",
        ] {
            assert!(
                html.contains(&format!("name=\"right\" value=\"{right}\"")),
                "{lang}: {right}"
            );
            assert!(
                html.contains(&format!("<label for=\"{right}-email\">")),
                "{lang}: {right} has a labelled e-mail field"
            );
        }
        assert!(html.contains("name=\"wrong\"") && html.contains("name=\"correct\""));
        assert_eq!(
            html.matches("<select").count(),
            2,
            "restriction and objection"
        );
        assert!(
            html.contains("value=\"web-analytics\""),
            "activities offered"
        );
        assert!(
            !html.contains("value=\"withdraw_consent\""),
            "no form for cookies"
        );
        assert!(!html.contains("<script"), "works without JavaScript");
    }
    let (status, _) = get(&server, "/sites/nowhere/rights").await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test]
async fn a_request_is_mailed_verified_by_its_link_and_shows_its_due_date() {
    let server = TestServer::start().await;
    let response = post(
        &server,
        "nb",
        "right=access&email=kari.nordmann%40example.org",
    )
    .await;
    assert_eq!(response.status(), 200);
    let answer = response.text().await.unwrap();
    assert!(answer.contains("Hvis adressen er riktig, får du en e-post med en lenke"));

    let mails = outbox(&server).await;
    assert_eq!(mails.len(), 1, "one mail");
    let mail = &mails[0];
    assert_eq!(mail.to_addr, "kari.nordmann@example.org");
    assert_eq!(
        mail.subject,
        "Bekreft forespørselen din til Fjellvind Kurs AS"
    );
    assert!(
        !mail.body_text.contains("2026"),
        "no due date before verification"
    );
    let case_id = mail.case_id.clone().unwrap();
    let case = server.store.case(&case_id).await.unwrap();
    assert_eq!(
        (case.state, case.right),
        (CaseState::Received, Right::Access)
    );

    let verify = verify_path(mail);
    let response = client().get(server.url(&verify)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/sites/www/rights/status?t="),
        "{location}"
    );
    assert!(location.ends_with("&lang=nb"), "{location}");
    let case = server.store.case(&case_id).await.unwrap();
    assert_eq!(case.state, CaseState::Verified);

    let (status, page) = get(&server, &location).await;
    assert_eq!(status, 200);
    assert!(page.contains("Innsyn (art. 15)"), "{page}");
    assert!(page.contains("Bekreftet, venter på behandling"), "{page}");
    assert!(page.contains("31. januar 2026"), "received: {page}");
    // 31 January + one month = 28 February 2026, a Saturday: the period runs to Monday 2 March.
    assert!(page.contains("2. mars 2026"), "legal due: {page}");
    assert!(
        !page.contains("28. februar"),
        "the internal target is not shown: {page}"
    );
    // A status link is reusable.
    let (again, _) = get(&server, &location).await;
    assert_eq!(again, 200);
    let en = location.replace("lang=nb", "lang=en");
    let (_, english) = get(&server, &en).await;
    assert!(english.contains("2 March 2026"), "{english}");
    server.stop().await;
}

#[tokio::test]
async fn every_bad_link_gets_the_same_refusal_page() {
    let server = TestServer::start().await;
    post(&server, "en", "right=erasure&email=ola%40example.org").await;
    let first = outbox(&server).await.remove(0);
    let verify = verify_path(&first);
    let response = client().get(server.url(&verify)).send().await.unwrap();
    let status_link = response.headers()["location"].to_str().unwrap().to_owned();
    let status_token = status_link
        .split("t=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();

    // A second request whose link expires.
    post(&server, "en", "right=access&email=per%40example.org").await;
    let second = outbox(&server)
        .await
        .into_iter()
        .find(|m| m.to_addr == "per@example.org")
        .unwrap();
    let verify_token = verify_path(&second)
        .split("t=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let case_id = first.case_id.clone().unwrap();

    let (status, refusal) = get(&server, &verify).await;
    assert_eq!(status, 410, "a replayed link");
    assert!(refusal.contains("This link no longer works"), "{refusal}");
    let bad = [
        "/sites/www/rights/verify?t=not-a-token&lang=en".to_owned(),
        "/sites/www/rights/verify?lang=en".to_owned(),
        format!("/sites/www/rights/verify?t={status_token}&lang=en"),
        format!("/sites/www/rights/status?t={verify_token}&lang=en"),
        format!("/sites/www/rights/status?t={case_id}&lang=en"),
        format!("/sites/www/rights/status?t={}&lang=en", "A".repeat(43)),
        "/sites/www/rights/status?t=%27%20OR%201%3D1--&lang=en".to_owned(),
        format!("/sites/pamelding/rights/status?t={status_token}&lang=en"),
    ];
    for path in &bad {
        let (status, body) = get(&server, path).await;
        let body = body
            .replace("/sites/pamelding/", "/sites/www/")
            .replace("Fjellvind Kurs – påmelding", "Fjellvind Kurs");
        assert_eq!((status, &body), (410, &refusal), "{path}");
    }
    // The expired link: 31 minutes later.
    server.clock.advance(31 * 60 * 1000);
    let (status, body) = get(
        &server,
        &format!("/sites/www/rights/verify?t={verify_token}&lang=en"),
    )
    .await;
    assert_eq!((status, &body), (410, &refusal), "expired");
    let per = server
        .store
        .case(second.case_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(
        per.state,
        CaseState::Received,
        "an expired link verifies nothing"
    );
    server.stop().await;
}

#[tokio::test]
async fn hostile_input_is_refused_naming_the_field_and_nothing_is_sent() {
    let server = TestServer::start().await;
    for email in [
        "%27%20OR%20%271%27%3D%271",
        "x%40example.org%27%3B%20DROP%20TABLE%20desk_cases%3B--",
        "kari%40example.org%0D%0ABcc%3A%20all%40example.org",
        "kari%40example.org%0ABcc%3Aall%40example.org",
        "Kari%20%3Ckari%40example.org%3E",
        "kari%40example.org%2Cola%40example.org",
        "",
    ] {
        let response = post(&server, "nb", &format!("right=access&email={email}")).await;
        assert_problem(response, 400, "email").await;
    }
    let long = format!("right=access&email={}%40example.org", "a".repeat(250));
    assert_problem(post(&server, "nb", &long).await, 400, "email").await;
    let response = post(&server, "nb", "right=everything&email=kari%40example.org").await;
    assert_problem(response, 400, "right").await;
    let response = post(
        &server,
        "nb",
        "right=withdraw_consent&email=kari%40example.org",
    )
    .await;
    assert_problem(response, 400, "right").await;
    let response = post(
        &server,
        "nb",
        "right=rectification&email=kari%40example.org",
    )
    .await;
    assert_problem(response, 400, "wrong").await;
    let too_long = format!(
        "right=rectification&email=kari%40example.org&wrong=x&correct={}",
        "y".repeat(2001)
    );
    assert_problem(post(&server, "nb", &too_long).await, 400, "correct").await;
    let response = post(
        &server,
        "nb",
        "right=objection&email=kari%40example.org&activity=%27%3B--",
    )
    .await;
    assert_problem(response, 400, "activity").await;
    let response = post(&server, "nb", "right=access&email=a%40b.no&email=c%40d.no").await;
    assert_problem(response, 400, "email").await;
    let response = client()
        .post(server.url("/sites/www/rights"))
        .header("content-type", FORM)
        .body(format!(
            "right=access&email=kari%40example.org&wrong={}",
            "x".repeat(70_000)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413, "an oversize body");
    assert!(outbox(&server).await.is_empty(), "nothing enqueued");
    assert_eq!(
        server
            .store
            .unverified_requests_since("kari@example.org", 0)
            .await
            .unwrap(),
        0,
        "no case opened"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_rectification_with_two_full_texts_in_norwegian_is_accepted() {
    let server = TestServer::start().await;
    // 2000 × "ø" is 12 000 bytes percent-encoded per field: over the default body limit, under
    // the form's.
    let oe = "%C3%B8".repeat(2000);
    let body = format!("right=rectification&email=kari%40example.org&wrong={oe}&correct={oe}");
    let response = post(&server, "nb", &body).await;
    assert_eq!(response.status(), 200);
    let mails = outbox(&server).await;
    assert_eq!(mails.len(), 1);
    let case = server
        .store
        .case(mails[0].case_id.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(case.right, Right::Rectification);
    assert_eq!(case.identifiers["rectification.wrong"], "ø".repeat(2000));
    assert_eq!(case.identifiers["rectification.correct"], "ø".repeat(2000));
    server.stop().await;
}

#[tokio::test]
async fn the_answer_is_the_same_for_every_address_and_the_limit_sends_nothing_more() {
    let server = TestServer::start().await;
    let known = post(&server, "nn", "right=portability&email=kari%40example.org").await;
    let (known_status, known_body) = (known.status(), known.text().await.unwrap());
    let other = post(
        &server,
        "nn",
        "right=portability&email=nobody%40example.net",
    )
    .await;
    assert_eq!(
        (other.status(), other.text().await.unwrap()),
        (known_status, known_body.clone())
    );
    assert_eq!(outbox(&server).await.len(), 2);
    for _ in 0..3 {
        let again = post(&server, "nn", "right=portability&email=kari%40example.org").await;
        assert_eq!(again.text().await.unwrap(), known_body);
    }
    let to_kari = outbox(&server)
        .await
        .into_iter()
        .filter(|m| m.to_addr == "kari@example.org")
        .count();
    assert_eq!(
        to_kari, 3,
        "at most three unverified requests per address and day"
    );
    // A day later the address may ask again.
    server.clock.advance(24 * 60 * 60 * 1000 + 1);
    post(&server, "nn", "right=portability&email=kari%40example.org").await;
    assert_eq!(outbox(&server).await.len(), 5);
    server.stop().await;
}

#[tokio::test]
async fn the_centre_is_behind_the_per_network_rate_limit() {
    let server = TestServer::start_with(|config| {
        config.limits.rate = kapsel_server::RateLimit {
            per_second: 0.001,
            burst: 2,
            exempt_loopback: false,
        };
    })
    .await;
    for _ in 0..2 {
        let (status, _) = get(&server, "/sites/www/rights?lang=en").await;
        assert_eq!(status, 200);
    }
    let response = post(&server, "en", "right=access&email=kari%40example.org").await;
    assert_eq!(response.status(), 429);
    assert!(
        outbox(&server).await.is_empty(),
        "a throttled request sends nothing"
    );
    server.stop().await;
}

/// Waits (bounded) until `case_id` is in `state`; panics with the state it stayed in.
async fn until_state(server: &TestServer, case_id: &str, state: CaseState) {
    let mut last = None;
    for _ in 0..100 {
        let case = server.store.case(case_id).await.unwrap();
        if case.state == state {
            return;
        }
        last = Some(case.state);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("case {case_id} stayed {last:?}, never {state:?}");
}

#[tokio::test]
async fn an_unverified_request_lapses_after_seven_days_and_a_verified_one_does_not() {
    let server = TestServer::start_with(|config| {
        config.desk.lapse_interval = std::time::Duration::from_millis(20);
    })
    .await;
    for address in ["kari.nordmann%40example.org", "ola.nordmann%40example.org"] {
        let body = format!("right=erasure&email={address}");
        assert_eq!(post(&server, "en", &body).await.status(), 200);
    }
    let mails = outbox(&server).await;
    let case_of = |to: &str| {
        let mail = mails.iter().find(|m| m.to_addr == to).unwrap();
        (mail.case_id.clone().unwrap(), verify_path(mail))
    };
    let (unverified, _) = case_of("kari.nordmann@example.org");
    let (verified, link) = case_of("ola.nordmann@example.org");
    assert_eq!(get(&server, &link).await.0, 303);
    let lapses_at = server
        .store
        .case(&unverified)
        .await
        .unwrap()
        .dates
        .lapses_at_ms;

    // Rounds run meanwhile; a day before the lapse time nothing lapses.
    server
        .clock
        .advance(lapses_at - server.clock.now_ms() - 86_400_000);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        server.store.case(&unverified).await.unwrap().state,
        CaseState::Received
    );
    server.clock.advance(86_400_000);
    until_state(&server, &unverified, CaseState::Lapsed).await;
    let events = server.store.events(&unverified).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.at_ms >= lapses_at),
        ("system", true)
    );
    assert!(server.store.verify_case(&unverified).await.unwrap().is_ok());
    assert_eq!(
        server.store.case(&verified).await.unwrap().state,
        CaseState::Verified,
        "a verified request never lapses"
    );
}

/// What a browser's form post sends.
const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

async fn post_accepting(
    server: &TestServer,
    lang: &str,
    accept: &str,
    body: &str,
) -> reqwest::Response {
    client()
        .post(server.url(&format!("/sites/www/rights?lang={lang}")))
        .header("content-type", FORM)
        .header("accept", accept)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// A refused browser post: 400, the rights page (not cached) in `lang`.
async fn refused_page(server: &TestServer, lang: &str, body: &str) -> String {
    let response = post_accepting(server, lang, BROWSER_ACCEPT, body).await;
    assert_eq!(response.status(), 400, "{body}");
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = response.text().await.unwrap();
    assert!(page.contains(&format!("<html lang=\"{lang}\">")), "{page}");
    assert_eq!(page.matches("role=\"alert\"").count(), 1, "one summary");
    page
}

/// The summary inside the form of `right` (after its opening tag, before its first field),
/// heading `summary`, linking to `field` with `words`; that field and only it marked invalid,
/// described by its error text.
fn assert_summary(page: &str, right: &str, summary: &str, field: &str, words: &str) {
    let form_start = page
        .find(&format!("name=\"right\" value=\"{right}\""))
        .unwrap_or_else(|| panic!("no {right} form in {page}"));
    let alert = page.find("role=\"alert\"").unwrap();
    let first_field = form_start + page[form_start..].find("<label").unwrap();
    assert!(
        form_start < alert && alert < first_field,
        "summary at the top of the {right} form"
    );
    assert!(page[alert..].starts_with(&format!(
        "role=\"alert\"><p><strong>{summary}</strong></p><ul><li><a href=\"#{field}\">{words}</a>"
    )));
    assert!(
        page.contains(&format!(
            "<p class=\"kapsel-error-text\" id=\"{field}-error\">{words}</p>"
        )),
        "error text of {field}"
    );
    assert_eq!(page.matches(" aria-invalid=\"true\"").count(), 1);
    let control = page
        .find(&format!("id=\"{field}\" name="))
        .unwrap_or_else(|| panic!("no control {field}"));
    let tag = &page[control..control + page[control..].find('>').unwrap()];
    assert!(tag.contains("aria-invalid=\"true\""), "{tag}");
    assert!(
        tag.contains(&format!("aria-describedby=\"{field}-error")),
        "{tag}"
    );
}

#[tokio::test]
async fn a_browser_gets_the_form_again_with_the_error_in_its_language() {
    let server = TestServer::start().await;
    let long = "y".repeat(2001);
    for (lang, summary, email, long_words, activity, right) in [
        (
            "nb",
            "Skjemaet har en feil:",
            "E-postadressen må være én vanlig adresse, for eksempel navn@example.no.",
            "Teksten om hva som er riktig kan være høyst 2000 tegn.",
            "Velg en av behandlingene i listen.",
            "Forespørselen gjaldt ingen rettighet vi kjenner. Bruk et av skjemaene nedenfor.",
        ),
        (
            "nn",
            "Skjemaet har ein feil:",
            "E-postadressa må vere éi vanleg adresse, til dømes namn@example.no.",
            "Teksten om kva som er rett kan vere høgst 2000 teikn.",
            "Vel ei av behandlingane i lista.",
            "Førespurnaden gjaldt ingen rett vi kjenner. Bruk eitt av skjemaa nedanfor.",
        ),
        (
            "en",
            "The form has an error:",
            "The e-mail address must be one plain address, for example name@example.no.",
            "The text about what is correct may be at most 2,000 characters.",
            "Choose one of the processing activities in the list.",
            "The request was not for a right we know. Use one of the forms below.",
        ),
    ] {
        let page = refused_page(&server, lang, "right=erasure&email=not+an+address").await;
        assert_summary(&page, "erasure", summary, "erasure-email", email);
        assert!(page.contains("value=\"not an address\""), "address kept");

        let body = format!(
            "right=rectification&email=kari%40example.org&wrong=Gammel+adresse&correct={long}"
        );
        let page = refused_page(&server, lang, &body).await;
        assert_summary(
            &page,
            "rectification",
            summary,
            "rectification-right",
            long_words,
        );
        assert!(page.contains("value=\"kari@example.org\""), "address kept");
        assert!(page.contains(">Gammel adresse</textarea>"), "text kept");
        assert!(
            page.contains(&format!(">{long}</textarea>")),
            "long text kept"
        );

        let body = "right=objection&email=kari%40example.org&activity=nothing-declared";
        let page = refused_page(&server, lang, body).await;
        assert_summary(&page, "objection", summary, "objection-activity", activity);

        // No form to put it in: the summary sits above the forms, nothing is marked.
        let page = refused_page(&server, lang, "right=everything&email=kari%40example.org").await;
        let alert = page.find("role=\"alert\"").unwrap();
        assert!(alert < page.find("name=\"right\"").unwrap());
        assert!(page[alert..].starts_with(&format!(
            "role=\"alert\"><p><strong>{summary}</strong></p><ul><li><a href=\"#access-email\">{right}</a>"
        )));
        assert!(!page.contains(" aria-invalid="), "no field marked");
    }
    assert!(outbox(&server).await.is_empty(), "nothing enqueued");
    assert_eq!(
        server
            .store
            .unverified_requests_since("kari@example.org", 0)
            .await
            .unwrap(),
        0,
        "no case opened"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_refused_form_shows_hostile_input_only_escaped_and_writes_nothing() {
    let server = TestServer::start().await;
    for payload in [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
    ] {
        let escaped = payload
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;");
        for lang in ["nb", "nn", "en"] {
            // In the address, and in both texts beside a bad address.
            let body = serde_urlencoded::to_string([
                ("right", "rectification"),
                ("email", payload),
                ("wrong", payload),
                ("correct", payload),
            ])
            .unwrap();
            let page = refused_page(&server, lang, &body).await;
            assert!(!page.contains(payload), "raw {payload:?} in the page");
            assert!(!page.contains("<script"), "a script tag in the page");
            assert!(!page.contains("<img"), "an img tag in the page");
            assert!(page.contains(&format!("value=\"{escaped}\"")), "{page}");
            assert_eq!(
                page.matches(&format!(">{escaped}</textarea>")).count(),
                2,
                "both texts kept, escaped"
            );
            assert!(
                page.contains("aria-invalid=\"true\" aria-describedby=\"rectification-email-error")
            );
        }
    }
    assert!(outbox(&server).await.is_empty(), "nothing enqueued");
    assert_eq!(
        server
            .store
            .unverified_requests_since("\"><img src=x onerror=alert(1)>", 0)
            .await
            .unwrap(),
        0,
        "no case opened"
    );
    server.stop().await;
}

#[tokio::test]
async fn api_clients_keep_the_problem_json_unchanged() {
    let server = TestServer::start().await;
    let bad = "right=access&email=not+an+address";
    let plain = post(&server, "nb", bad).await.text().await.unwrap();
    for accept in [
        "application/json",
        "application/problem+json",
        "*/*",
        "application/json, text/html;q=0.5",
    ] {
        let response = post_accepting(&server, "nb", accept, bad).await;
        let body = response.text().await.unwrap();
        assert_eq!(body, plain, "Accept: {accept}");
        assert_problem(
            post_accepting(&server, "nb", accept, bad).await,
            400,
            "email",
        )
        .await;
    }
    // A browser's accepted request is unchanged too: the "check your e-mail" page.
    let response = post_accepting(
        &server,
        "nb",
        BROWSER_ACCEPT,
        "right=access&email=kari%40example.org",
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(!response.text().await.unwrap().contains("role=\"alert\""));
    assert_eq!(outbox(&server).await.len(), 1);
    server.stop().await;
}
