//! The requester's links on both backends: only the token's hash is stored; a verification
//! link opens its case once, never twice (not even when two requests race), never after it
//! expired, never for another purpose; a status link opens it until it expires; and a text
//! that is not a token, or someone else's guess, opens nothing.

use kapsel_core::deadline::TargetRule;
use kapsel_core::desk::token::TokenPurpose;
use kapsel_core::desk::{NewCase, Right};
use kapsel_core::random::CountingRandom;
use kapsel_store::{CaseStore, DeskLinks, LinkRefused};

use super::backends::{T0, TestBackend, new_id, on_every_backend};

on_every_backend!(
    a_verification_link_opens_its_case_once_and_only_before_it_expires,
    two_requests_with_one_verification_link_never_both_succeed,
    a_status_link_opens_its_case_until_it_expires,
    guesses_and_other_purposes_open_nothing,
);

const MINUTE: i64 = 60_000;

async fn a_case(backend: &TestBackend) -> String {
    let request = NewCase {
        id: new_id(),
        site: "www".into(),
        right: Right::Access,
        email: "ola.nordmann@example.no".into(),
        identifiers: Default::default(),
        received_ms: T0,
        actor: "requester".into(),
        lang: "nb".into(),
    };
    let (case, _) = backend
        .store
        .open_case(request, TargetRule::SameDate)
        .await
        .unwrap();
    case.id
}

async fn a_verification_link_opens_its_case_once_and_only_before_it_expires(backend: &TestBackend) {
    let store = &backend.store;
    let case = a_case(backend).await;
    let random = CountingRandom::default();
    let link = store
        .issue_link(&case, TokenPurpose::Verify, T0, 30 * MINUTE, &random)
        .await
        .unwrap();
    let token = link.expose();
    // Only the hash is kept: the row is found by the token's hash, by the token never.
    let probe = |key: String| {
        format!("UPDATE desk_links SET issued_ms = issued_ms WHERE token_hash = '{key}'")
    };
    let hash = kapsel_core::desk::token::token_hash(token).unwrap();
    assert_eq!(backend.raw(&probe(hash)).await, 1, "{}", backend.name);
    assert_eq!(
        backend.raw(&probe(token.to_owned())).await,
        0,
        "{}",
        backend.name
    );
    let redeem = |at| store.redeem_link(token, TokenPurpose::Verify, at);
    assert_eq!(
        redeem(T0 + MINUTE).await.unwrap(),
        Ok(case.clone()),
        "{}",
        backend.name
    );
    assert_eq!(
        redeem(T0 + 2 * MINUTE).await.unwrap(),
        Err(LinkRefused::Used),
        "replayed"
    );

    let late = store
        .issue_link(&case, TokenPurpose::Verify, T0, 30 * MINUTE, &random)
        .await
        .unwrap();
    let at_expiry = store.redeem_link(late.expose(), TokenPurpose::Verify, T0 + 30 * MINUTE);
    assert_eq!(at_expiry.await.unwrap(), Err(LinkRefused::Expired));
}

async fn two_requests_with_one_verification_link_never_both_succeed(backend: &TestBackend) {
    let store = &backend.store;
    let case = a_case(backend).await;
    let random = CountingRandom::default();
    for round in 0..20 {
        let link = store
            .issue_link(&case, TokenPurpose::Verify, T0, 30 * MINUTE, &random)
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            store.redeem_link(link.expose(), TokenPurpose::Verify, T0 + 1),
            store.redeem_link(link.expose(), TokenPurpose::Verify, T0 + 1),
        );
        let opened = [a.unwrap(), b.unwrap()];
        assert_eq!(
            opened.iter().filter(|r| r.is_ok()).count(),
            1,
            "{} round {round}: {opened:?}",
            backend.name
        );
        assert!(opened.contains(&Err(LinkRefused::Used)));
    }
}

async fn a_status_link_opens_its_case_until_it_expires(backend: &TestBackend) {
    let store = &backend.store;
    let case = a_case(backend).await;
    let random = CountingRandom::default();
    let link = store
        .issue_link(&case, TokenPurpose::Status, T0, 60 * MINUTE, &random)
        .await
        .unwrap();
    for at in [T0, T0 + MINUTE, T0 + 59 * MINUTE] {
        let opened = store.redeem_link(link.expose(), TokenPurpose::Status, at);
        assert_eq!(
            opened.await.unwrap(),
            Ok(case.clone()),
            "{} at {at}",
            backend.name
        );
    }
    let expired = store.redeem_link(link.expose(), TokenPurpose::Status, T0 + 60 * MINUTE);
    assert_eq!(expired.await.unwrap(), Err(LinkRefused::Expired));
    assert_eq!(
        store.delete_expired_links(T0 + 60 * MINUTE).await.unwrap(),
        1
    );
    let gone = store.redeem_link(link.expose(), TokenPurpose::Status, T0);
    assert_eq!(gone.await.unwrap(), Err(LinkRefused::Unknown));
}

async fn guesses_and_other_purposes_open_nothing(backend: &TestBackend) {
    let store = &backend.store;
    let case = a_case(backend).await;
    let random = CountingRandom::default();
    let status = store
        .issue_link(&case, TokenPurpose::Status, T0, 60 * MINUTE, &random)
        .await
        .unwrap();
    // A status link is no verification link, and the other way round.
    let wrong = store.redeem_link(status.expose(), TokenPurpose::Verify, T0 + 1);
    assert_eq!(
        wrong.await.unwrap(),
        Err(LinkRefused::WrongPurpose),
        "{}",
        backend.name
    );
    let still = store.redeem_link(status.expose(), TokenPurpose::Status, T0 + 1);
    assert_eq!(
        still.await.unwrap(),
        Ok(case.clone()),
        "a wrong-purpose try uses nothing up"
    );
    // Another well-formed token nobody issued, and texts that are no token at all.
    let guessed = kapsel_core::desk::token::issue(&random);
    for text in [
        guessed.token.expose().to_owned(),
        "' OR '1'='1".to_owned(),
        format!("{}' --", &status.expose()[..40]),
        String::new(),
    ] {
        for purpose in [TokenPurpose::Verify, TokenPurpose::Status] {
            let opened = store.redeem_link(&text, purpose, T0 + 1).await.unwrap();
            assert_eq!(
                opened,
                Err(LinkRefused::Unknown),
                "{}: {text:?}",
                backend.name
            );
        }
    }
}
