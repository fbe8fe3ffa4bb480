//! The console's concerns on both backends: accounts and sessions (names normalised, a
//! password change or a disable ends sessions, a TOTP step used once), failed sign-ins counted
//! per key and window, the hash-chained audit log under concurrent writers, and the consent
//! counters the ledger writer keeps, which equal a recount of the export (also after the
//! migration that backfills them), and the banner's view counters beside them.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::TryStreamExt as _;
use kapsel_core::ManualClock;
use kapsel_core::consent::ConsentAction;
use kapsel_core::console::Role;
use kapsel_core::console::audit::NewAuditEntry;
use kapsel_store::ledger::counts::{BannerView, DAY_MS, ViewCount, ViewEvent, day_of};
use kapsel_store::{
    Account, Accounts, AuditLog, ConsentCounts, CountFilter, ExportFilter, LedgerAppend,
    LedgerRead, OidcPending, Session, SessionStage,
};

use super::backends::{
    T0, TestBackend, choice, context, lifetimes, new_id, on_every_backend, start,
};

on_every_backend!(
    accounts_keep_normalised_names_and_changes_end_sessions,
    a_totp_step_is_used_once_and_failures_count_per_key,
    the_audit_log_stays_one_chain_under_concurrent_writers,
    the_counters_equal_a_recount_of_the_export,
    banner_views_add_up_per_day_and_are_filters,
);

fn account(name: &str, role: Role) -> Account {
    Account {
        name: name.into(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        totp_secret: None,
        totp_last_step: None,
        disabled: false,
        created_ms: T0,
        changed_ms: T0,
    }
}

fn session(token: &str, account: &str) -> Session {
    Session {
        token_hash: token.into(),
        account: account.into(),
        stage: SessionStage::Full,
        csrf_token: format!("csrf-{token}"),
        created_ms: T0,
        last_seen_ms: T0,
        prefix: Some("192.0.2.0/24".into()),
    }
}

async fn accounts_keep_normalised_names_and_changes_end_sessions(backend: &TestBackend) {
    let store = &backend.store;
    assert!(
        store
            .add_account(&account(" Kari ", Role::PrivacyLead))
            .await
            .unwrap()
    );
    assert!(
        !store
            .add_account(&account("KARI", Role::Viewer))
            .await
            .unwrap(),
        "the name is taken, whatever its case"
    );
    let kari = store.account("kari").await.unwrap().unwrap();
    assert_eq!((kari.name.as_str(), kari.role), ("kari", Role::PrivacyLead));
    assert!(store.account("ola").await.unwrap().is_none());

    store.open_session(&session("t1", "kari")).await.unwrap();
    store.open_session(&session("t2", "kari")).await.unwrap();
    store.touch_session("t1", T0 + 5).await.unwrap();
    store.touch_session("t1", T0 + 2).await.unwrap();
    assert_eq!(
        store.session("t1").await.unwrap().unwrap().last_seen_ms,
        T0 + 5,
        "a touch never moves the last use back"
    );
    assert!(
        store
            .set_password("Kari", "$argon2id$new", T0 + 10)
            .await
            .unwrap()
    );
    assert!(
        store.session("t1").await.unwrap().is_none(),
        "a new password ends sessions"
    );
    assert!(store.session("t2").await.unwrap().is_none());
    assert_eq!(
        store.account("kari").await.unwrap().unwrap().password_hash,
        "$argon2id$new"
    );

    store.open_session(&session("t3", "kari")).await.unwrap();
    assert!(store.set_disabled("kari", true, T0 + 20).await.unwrap());
    assert!(
        store.session("t3").await.unwrap().is_none(),
        "disabling ends sessions"
    );
    assert!(store.account("kari").await.unwrap().unwrap().disabled);
    assert!(!store.set_disabled("nobody", true, T0).await.unwrap());

    store
        .add_account(&account("ola", Role::Viewer))
        .await
        .unwrap();
    store.open_session(&session("t4", "ola")).await.unwrap();
    store.open_session(&session("t5", "ola")).await.unwrap();
    assert_eq!(store.end_sessions_of("OLA").await.unwrap(), 2);
    let names: Vec<String> = store
        .accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["kari", "ola"]);
}

async fn a_totp_step_is_used_once_and_failures_count_per_key(backend: &TestBackend) {
    let store = &backend.store;
    store
        .add_account(&account("kari", Role::Admin))
        .await
        .unwrap();
    assert!(
        store
            .set_totp("kari", Some(b"0123456789abcdefghij"), T0)
            .await
            .unwrap()
    );
    let kari = store.account("kari").await.unwrap().unwrap();
    assert_eq!(
        kari.totp_secret.as_deref(),
        Some(&b"0123456789abcdefghij"[..])
    );
    assert!(store.use_totp_step("kari", 100).await.unwrap());
    assert!(
        !store.use_totp_step("kari", 100).await.unwrap(),
        "used once"
    );
    assert!(
        !store.use_totp_step("kari", 99).await.unwrap(),
        "nor an earlier step"
    );
    assert!(store.use_totp_step("kari", 101).await.unwrap());
    assert!(store.set_totp("kari", None, T0).await.unwrap());
    assert!(
        store
            .account("kari")
            .await
            .unwrap()
            .unwrap()
            .totp_secret
            .is_none()
    );

    let keys = ["account:kari".to_owned(), "prefix:192.0.2.0/24".to_owned()];
    for i in 0..3 {
        store.record_failure(&keys, T0 + i * 1000).await.unwrap();
    }
    store.record_failure(&keys[1..], T0 + 5000).await.unwrap();
    assert_eq!(store.failures_since("account:kari", T0).await.unwrap(), 3);
    assert_eq!(
        store
            .failures_since("account:kari", T0 + 1000)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .failures_since("prefix:192.0.2.0/24", T0)
            .await
            .unwrap(),
        4
    );
    assert_eq!(store.failures_since("account:ola", T0).await.unwrap(), 0);

    // An OpenID Connect sign-in under way is taken once.
    let pending = OidcPending {
        state_hash: "s1".into(),
        nonce: "n1".into(),
        verifier: "v1".into(),
        lang: "nn".into(),
        created_ms: T0,
    };
    store.save_oidc_pending(&pending).await.unwrap();
    assert_eq!(
        store.take_oidc_pending("s1").await.unwrap(),
        Some(pending.clone())
    );
    assert_eq!(
        store.take_oidc_pending("s1").await.unwrap(),
        None,
        "used once"
    );
    store
        .save_oidc_pending(&OidcPending {
            state_hash: "s2".into(),
            ..pending
        })
        .await
        .unwrap();

    store.open_session(&session("old", "kari")).await.unwrap();
    let removed = store.prune_sign_ins(T0 + 2000, T0 + 1).await.unwrap();
    assert_eq!(
        removed,
        2 * 2 + 1 + 1,
        "four failures before T0+2s, the idle session and the stale sign-in under way"
    );
    assert_eq!(store.failures_since("account:kari", 0).await.unwrap(), 1);
}

async fn the_audit_log_stays_one_chain_under_concurrent_writers(backend: &TestBackend) {
    let store = &backend.store;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .append_audit(NewAuditEntry {
                    at_ms: T0 + i,
                    actor: format!("account:operator{}", i % 3),
                    action: "export_ledger".into(),
                    target: "www".into(),
                    prefix: Some("192.0.2.0/24".into()),
                })
                .await
                .unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let verdict = store.verify_audit().await.unwrap();
    assert_eq!(
        (verdict.entries, verdict.broken.clone()),
        (24, None),
        "{verdict:?}"
    );
    assert_eq!(verdict.head.as_ref().map(|h| h.0), Some(24));
    let page = store.audit_page(None, 10).await.unwrap();
    assert_eq!(page.first().map(|e| e.seq), Some(24));
    let next = store.audit_page(Some(15), 10).await.unwrap();
    assert_eq!(next.first().map(|e| e.seq), Some(14));

    backend
        .raw("UPDATE console_audit SET target = 'intranet' WHERE seq = 7")
        .await;
    let verdict = store.verify_audit().await.unwrap();
    assert_eq!(
        verdict.broken.map(|b| b.to_string()),
        Some("entry 7 was changed".to_owned())
    );
    backend
        .raw("DELETE FROM console_audit WHERE seq = 24")
        .await;
    backend
        .raw("UPDATE console_audit SET target = 'www' WHERE seq = 7")
        .await;
    let verdict = store.verify_audit().await.unwrap();
    assert_eq!(
        verdict.broken.map(|b| b.to_string()),
        Some("the recorded head is entry 24, but the log ends at 23".to_owned())
    );
}

/// Counts per (day, action, gpc) and per (kind, item) → (decided, granted), recounted from
/// the ledger's export of `site`.
async fn recount(
    backend: &TestBackend,
    site: &str,
) -> (
    BTreeMap<(i64, String, bool), i64>,
    BTreeMap<(String, String), (i64, i64)>,
) {
    let records: Vec<_> = backend
        .store
        .export(ExportFilter {
            site: Some(site.into()),
            ..ExportFilter::default()
        })
        .try_collect()
        .await
        .unwrap();
    let mut daily = BTreeMap::new();
    let mut choices = BTreeMap::new();
    for r in records {
        let day = day_of(r.recorded_at_ms);
        *daily
            .entry((day, r.choice.action.as_str().to_owned(), r.choice.gpc))
            .or_insert(0) += 1;
        for (kind, map) in [
            ("category", &r.choice.categories),
            ("service", &r.choice.services),
        ] {
            for (item, granted) in map {
                let e: &mut (i64, i64) =
                    choices.entry((kind.to_owned(), item.clone())).or_default();
                e.0 += 1;
                e.1 += i64::from(*granted);
            }
        }
    }
    (daily, choices)
}

async fn counted(
    backend: &TestBackend,
    site: &str,
) -> (
    BTreeMap<(i64, String, bool), i64>,
    BTreeMap<(String, String), (i64, i64)>,
) {
    let filter = CountFilter {
        site: site.into(),
        from_day: 0,
        to_day: i64::MAX / DAY_MS,
        revision: None,
        language: None,
    };
    let daily = backend.store.daily_counts(&filter).await.unwrap();
    let choices = backend.store.choice_counts(&filter).await.unwrap();
    (
        daily
            .into_iter()
            .map(|d| ((d.day, d.action, d.gpc), d.records))
            .collect(),
        choices
            .into_iter()
            .map(|c| ((c.kind, c.item), (c.decided, c.granted)))
            .collect(),
    )
}

async fn the_counters_equal_a_recount_of_the_export(backend: &TestBackend) {
    let clock = Arc::new(ManualClock::at(T0));
    let (ledger, shutdown) = start(backend, "c1", clock.clone()).await;
    let actions = [
        ConsentAction::AcceptAll,
        ConsentAction::RejectAll,
        ConsentAction::Custom,
        ConsentAction::Withdraw,
    ];
    for day in 0..4 {
        clock.set(T0 + day * DAY_MS + 3_600_000);
        // Concurrent appends, so the writer commits them in groups.
        let mut pending = Vec::new();
        for i in 0..60usize {
            let site = if i % 3 == 0 { "intranet" } else { "www" };
            let mut c = choice(site, actions[i % actions.len()], i % 5 == 0);
            c.gpc = i % 7 == 0;
            c.language = kapsel_core::Lang::new(if i % 2 == 0 { "nb" } else { "en" });
            pending.push(ledger.submit(kapsel_store::AppendRequest::new(
                new_id(),
                c,
                context(),
                lifetimes(),
            )));
        }
        for receipt in futures::future::join_all(pending).await {
            receipt.unwrap();
        }
    }
    for site in ["www", "intranet"] {
        let (daily, choices) = recount(backend, site).await;
        assert_eq!(
            daily.values().sum::<i64>(),
            if site == "www" { 160 } else { 80 }
        );
        assert_eq!(counted(backend, site).await, (daily, choices), "{site}");
    }
    let (revisions, languages) = backend.store.count_facets("www").await.unwrap();
    assert_eq!(
        (revisions, languages),
        (
            vec!["rev-1".to_owned()],
            vec!["en".to_owned(), "nb".to_owned()]
        )
    );
    let one_language = CountFilter {
        site: "www".into(),
        from_day: day_of(T0 + DAY_MS),
        to_day: day_of(T0 + 2 * DAY_MS),
        revision: Some("rev-1".into()),
        language: Some("nb".into()),
    };
    let days: i64 = backend
        .store
        .daily_counts(&one_language)
        .await
        .unwrap()
        .iter()
        .map(|d| d.records)
        .sum();
    assert_eq!(
        days,
        2 * 20,
        "two days of www's nb records (i even, not divisible by 3)"
    );
    shutdown.cancel();
    ledger.stopped().await;
}

/// Migration 14 on a ledger an older Kapsel wrote: the counters start as a recount.
async fn backfilled(backend: TestBackend) {
    for (i, (action, gpc, analytics)) in [
        ("accept_all", false, "true"),
        ("reject_all", true, "false"),
        ("custom", false, "true"),
    ]
    .into_iter()
    .enumerate()
    {
        let gpc = if backend.name == "sqlite" {
            i64::from(gpc).to_string()
        } else {
            gpc.to_string()
        };
        backend
            .raw(&format!(
                "INSERT INTO consent_records (id, chain_id, seq, recorded_at_ms, expires_at_ms, \
                 site, revision, language, action, categories, services, previous_receipt, gpc, \
                 ip_prefix, ua_family, prev_hash, hash) VALUES ('r{i}', 'c1', {seq}, {at}, {at}, \
                 'www', 'rev-1', 'nb', '{action}', \
                 '{{\"analytics\":{analytics},\"necessary\":true}}', '{{\"ga4\":{analytics}}}', \
                 NULL, {gpc}, NULL, 'Firefox', 'p', 'h')",
                seq = i + 1,
                at = T0 + i as i64 * DAY_MS,
            ))
            .await;
    }
    backend.store.migrate().await.unwrap();
    let counts = counted(&backend, "www").await;
    assert_eq!(counts, recount(&backend, "www").await);
    assert_eq!(
        counts
            .1
            .get(&("category".to_owned(), "analytics".to_owned())),
        Some(&(3, 2))
    );
    backend.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_backfills_the_consent_counters_on_sqlite() {
    backfilled(TestBackend::sqlite_at(13).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_backfills_the_consent_counters_on_postgres() {
    let test = concat!(module_path!(), "::migration_backfills_the_consent_counters");
    if let Some(backend) = TestBackend::postgres_at(test, 13).await {
        backfilled(backend).await;
    }
}

async fn banner_views_add_up_per_day_and_are_filters(backend: &TestBackend) {
    let store = &backend.store;
    let view = |day: i64, revision: &str, language: &str, event| BannerView {
        site: "www".into(),
        revision: revision.into(),
        language: language.into(),
        event,
        at_ms: T0 + day * DAY_MS + 60_000,
    };
    // Two batches, the second adding to rows the first made.
    let first = vec![
        view(0, "r1", "nb", ViewEvent::Shown),
        view(0, "r1", "nb", ViewEvent::Shown),
        view(0, "r1", "nb", ViewEvent::Ignored),
        view(1, "r1", "en", ViewEvent::Shown),
    ];
    store.add_banner_views(&first).await.unwrap();
    store
        .add_banner_views(&[
            view(0, "r1", "nb", ViewEvent::Shown),
            view(1, "r2", "nn", ViewEvent::Ignored),
        ])
        .await
        .unwrap();
    store.add_banner_views(&[]).await.unwrap();
    let day0 = day_of(T0);
    let filter = |revision: Option<&str>, language: Option<&str>| CountFilter {
        site: "www".into(),
        from_day: day0,
        to_day: day0 + 6,
        revision: revision.map(str::to_owned),
        language: language.map(str::to_owned),
    };
    let count = |day: i64, shown: i64, ignored: i64| ViewCount {
        day: day0 + day,
        shown,
        ignored,
    };
    assert_eq!(
        store.view_counts(&filter(None, None)).await.unwrap(),
        vec![count(0, 3, 1), count(1, 1, 1)]
    );
    assert_eq!(
        store.view_counts(&filter(Some("r2"), None)).await.unwrap(),
        vec![count(1, 0, 1)]
    );
    assert_eq!(
        store.view_counts(&filter(None, Some("en"))).await.unwrap(),
        vec![count(1, 1, 0)]
    );
    let other_site = CountFilter {
        site: "intranet".into(),
        ..filter(None, None)
    };
    assert!(store.view_counts(&other_site).await.unwrap().is_empty());
    // Views alone make their revision and language filters of the overview.
    let (revisions, languages) = store.count_facets("www").await.unwrap();
    assert_eq!(revisions, vec!["r1".to_owned(), "r2".to_owned()]);
    assert_eq!(
        languages,
        vec!["en".to_owned(), "nb".to_owned(), "nn".to_owned()]
    );
}
