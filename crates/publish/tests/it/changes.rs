//! Change-log diffs on pairs of privacy files: each kind of change is found and named in plain
//! words in nb, nn and en; a reformatted file reports nothing.

use kapsel_core::Lang;
use kapsel_core::privacy::{LegalBasis, Processor, Safeguard, Transfer, load};
use kapsel_publish::{Change, diff};

use kapsel_testkit::{example_file, example_source};

const SITE: &str = "www";

fn sentences(changes: &[Change], lang: &str) -> String {
    changes
        .iter()
        .map(|c| c.sentence(&Lang::new(lang)))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_reformatted_file_has_no_changes() {
    let source = example_source();
    let table: toml::Table = toml::from_str(&source).unwrap();
    let reformatted = toml::to_string_pretty(&table).unwrap();
    assert_ne!(
        reformatted, source,
        "the reformatting must actually change the text"
    );
    let old = example_file();
    let new = load(&reformatted, "reformatted.toml").unwrap();
    assert_eq!(diff(&old, &new, SITE), vec![]);
    assert_eq!(diff(&old, &old.clone(), "pamelding"), vec![]);
}

#[test]
fn equal_durations_written_differently_are_no_change() {
    let old = example_file();
    let mut new = old.clone();
    for service in &mut new.services {
        for cookie in &mut service.cookies {
            if cookie.duration == "13 months" {
                cookie.duration = "13 Months".to_owned();
            }
        }
    }
    assert_eq!(diff(&old, &new, SITE), vec![]);
}

#[test]
fn added_and_removed_services_and_cookies() {
    let old = example_file();
    let mut new = old.clone();
    let removed = new.services.remove(
        new.services
            .iter()
            .position(|s| s.id == "intercom")
            .unwrap(),
    );
    let changes = diff(&old, &new, SITE);
    assert!(
        matches!(&changes[..], [Change::ServiceRemoved { service, .. }] if service == "Intercom"),
        "{changes:?}"
    );
    assert!(sentences(&changes, "nb").contains("Tjenesten Intercom fra"));
    assert!(sentences(&changes, "nn").contains("Tenesta Intercom frå"));
    assert!(sentences(&changes, "en").contains("The service Intercom from"));

    let back = diff(&new, &old, SITE);
    assert!(matches!(&back[0], Change::ServiceAdded { service, .. } if service == "Intercom"));
    let added_cookies = back
        .iter()
        .filter(|c| matches!(c, Change::CookieAdded { .. }))
        .count();
    assert_eq!(added_cookies, removed.cookies.len());

    let mut fewer = old.clone();
    let youtube = fewer
        .services
        .iter_mut()
        .find(|s| s.id == "youtube")
        .unwrap();
    let cookie = youtube.cookies.remove(0);
    let changes = diff(&old, &fewer, SITE);
    assert!(
        matches!(&changes[..], [Change::CookieRemoved { cookie: c, .. }] if *c == cookie.name),
        "{changes:?}"
    );
    assert!(sentences(&changes, "nb").contains(&format!(
        "Informasjonskapselen {} fra YouTube er fjernet.",
        cookie.name
    )));
    let changes = diff(&fewer, &old, SITE);
    assert!(
        matches!(&changes[..], [Change::CookieAdded { .. }]),
        "{changes:?}"
    );
    assert!(
        sentences(&changes, "en").contains(&format!("New cookie {} from YouTube", cookie.name))
    );
}

#[test]
fn changed_durations_in_words() {
    let old = example_file();
    let mut new = old.clone();
    let youtube = new.services.iter_mut().find(|s| s.id == "youtube").unwrap();
    let cookie = youtube
        .cookies
        .iter_mut()
        .find(|c| c.name == "YSC")
        .unwrap();
    cookie.duration = "13 months".to_owned();
    let changes = diff(&old, &new, SITE);
    assert!(
        matches!(&changes[..], [Change::CookieDurationChanged { .. }]),
        "{changes:?}"
    );
    assert_eq!(
        sentences(&changes, "nb"),
        "Ny varighet for informasjonskapselen YSC fra YouTube: 13 måneder (før: slettes når du lukker nettleseren)."
    );
    assert_eq!(
        sentences(&changes, "nn"),
        "Ny varigheit for informasjonskapselen YSC frå YouTube: 13 månader (før: blir sletta når du lukkar nettlesaren)."
    );
    assert_eq!(
        sentences(&changes, "en"),
        "New duration for the cookie YSC from YouTube: 13 months (before: deleted when you close your browser)."
    );
}

#[test]
fn changed_purposes_categories_and_providers() {
    let old = example_file();
    let mut new = old.clone();
    let youtube = new.services.iter_mut().find(|s| s.id == "youtube").unwrap();
    youtube
        .purpose
        .0
        .insert("nb".to_owned(), "Viser videoer.".to_owned());
    youtube.category = "marketing".to_owned();
    youtube.provider.name = "Google LLC".to_owned();
    let changes = diff(&old, &new, SITE);
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::ServicePurposeChanged { .. })),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::ProviderChanged { to, .. } if to == "Google LLC"))
    );
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::ServiceCategoryChanged { .. }))
    );
    let nb = sentences(&changes, "nb");
    assert!(
        nb.contains("Nytt formål for YouTube: Viser videoer."),
        "{nb}"
    );
    assert!(
        nb.contains("YouTube er flyttet fra kategorien «Funksjonelle» til «Markedsføring»."),
        "{nb}"
    );
    assert!(
        nb.contains("YouTube leveres nå av Google LLC (før: Google Ireland Limited)."),
        "{nb}"
    );
    let nn = sentences(&changes, "nn");
    assert!(
        nn.contains("YouTube er flytta frå kategorien «Funksjonelle» til «Marknadsføring»."),
        "{nn}"
    );
}

#[test]
fn new_transfers_and_processors() {
    let old = example_file();
    let mut new = old.clone();
    let intercom = new
        .services
        .iter_mut()
        .find(|s| s.id == "intercom")
        .unwrap();
    intercom.transfers.push(Transfer {
        country: "SG".to_owned(),
        safeguard: Safeguard::Sccs,
        note: None,
    });
    let activity = &mut new.activities[0];
    activity.processors.push(Processor {
        name: "Eksempel Drift AS".to_owned(),
        country: "NO".to_owned(),
        purpose: activity.purpose.clone(),
    });
    activity.legal_basis = if activity.legal_basis == LegalBasis::Contract {
        LegalBasis::Consent
    } else {
        LegalBasis::Contract
    };
    let changes = diff(&old, &new, SITE);
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::TransferAdded { country, .. } if country == "SG")),
        "{changes:?}"
    );
    assert!(changes.iter().any(|c| matches!(c, Change::ProcessorAdded { processor, .. } if processor == "Eksempel Drift AS")));
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::LegalBasisChanged { .. }))
    );
    let nb = sentences(&changes, "nb");
    assert!(nb.contains("Intercom overfører nå opplysninger til Singapore; grunnlag: standard personvernbestemmelser (art. 46 nr. 2 bokstav c)."), "{nb}");
    assert!(nb.contains("Ny leverandør for «"), "{nb}");
    let en = sentences(&changes, "en");
    assert!(
        en.contains(
            "Intercom now transfers data to Singapore; safeguard: standard data protection clauses (art. 46(2)(c))."
        ),
        "{en}"
    );
    assert!(en.contains("New legal basis for “"), "{en}");
}

#[test]
fn activities_categories_retention_and_controller() {
    let old = example_file();
    let mut new = old.clone();
    let removed = new.activities.pop().unwrap();
    new.activities[0]
        .retention
        .0
        .insert("en".to_owned(), "Two years.".to_owned());
    new.categories.retain(|c| c.id != "analytics");
    for service in &mut new.services {
        if service.category == "analytics" {
            service.category = "marketing".to_owned();
        }
    }
    new.organisation.email = "ny@example.no".to_owned();
    let changes = diff(&old, &new, SITE);
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::ActivityRemoved { .. })),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::RetentionChanged { .. }))
    );
    assert!(
        changes
            .iter()
            .any(|c| matches!(c, Change::CategoryRemoved { .. }))
    );
    assert!(matches!(changes[0], Change::ControllerChanged { .. }));
    let en = sentences(&changes, "en");
    assert!(
        en.contains(&format!(
            "The processing “{}” has ended.",
            removed.name.0["en"]
        )),
        "{en}"
    );
    assert!(en.contains("The category “Analytics” was removed."), "{en}");
    assert!(en.contains("Two years."), "{en}");
    let back = diff(&new, &old, SITE);
    assert!(
        back.iter()
            .any(|c| matches!(c, Change::ActivityAdded { .. }))
    );
    assert!(
        back.iter()
            .any(|c| matches!(c, Change::CategoryAdded { .. }))
    );
}

#[test]
fn other_sites_services_do_not_show() {
    let old = example_file();
    let mut new = old.clone();
    // pamelding lists its own services; YouTube is not among them. (The activity that used
    // YouTube loses its provider, a change of the notice every site shows: nothing else.)
    new.services.retain(|s| s.id != "youtube");
    for activity in &mut new.activities {
        activity.services.retain(|id| id != "youtube");
    }
    let changes = diff(&old, &new, "pamelding");
    assert!(
        changes
            .iter()
            .all(|c| matches!(c, Change::ProcessorRemoved { processor, .. } if processor == "Google Ireland Limited")),
        "{changes:#?}"
    );
    assert!(
        diff(&old, &new, SITE)
            .iter()
            .any(|c| matches!(c, Change::ServiceRemoved { .. }))
    );
}

#[test]
fn stored_revision_documents_diff_like_the_files() {
    use kapsel_core::privacy::revision::consent_projection;
    use kapsel_publish::file_from_projection;
    let old = example_file();
    let mut new = old.clone();
    new.services.retain(|s| s.id != "intercom");
    let read_back = |file: &kapsel_core::privacy::PrivacyFile| {
        file_from_projection(&consent_projection(file, SITE).unwrap().to_string()).unwrap()
    };
    let (old_back, new_back) = (read_back(&old), read_back(&new));
    assert_eq!(diff(&old_back, &old_back, SITE), vec![]);
    let changes = diff(&old_back, &new_back, SITE);
    assert!(
        matches!(&changes[..], [Change::ServiceRemoved { service, .. }] if service == "Intercom"),
        "{changes:?}"
    );
}

/// The shop's page-views rule (25 months, deleted) on the example file.
fn with_page_views(period: &str) -> kapsel_core::privacy::PrivacyFile {
    let source = format!(
        "{}{}",
        kapsel_testkit::shop_privacy_source(false),
        kapsel_testkit::PAGE_VIEWS_DECLARATION
    )
    .replace("period = \"25 months\"", &format!("period = \"{period}\""))
    .replace(
        "retention_period = \"25 months\"",
        &format!("retention_period = \"{period}\""),
    );
    load(&source, "kapsel.toml").unwrap()
}

#[test]
fn the_notice_and_the_record_state_retention_from_the_rules_and_the_log_a_new_period() {
    let file = with_page_views("25 months");
    for (lang, sentence) in [
        (
            "nb",
            "Det vi selv lagrer, slettes automatisk etter 25 måneder.",
        ),
        (
            "nn",
            "Det vi sjølve lagrar, blir sletta automatisk etter 25 månader.",
        ),
        (
            "en",
            "What we store ourselves is deleted automatically after 25 months.",
        ),
    ] {
        let lang = Lang::new(lang);
        let notice = kapsel_publish::privacy_notice(&file, SITE, &lang).unwrap();
        let analytics = notice
            .activities
            .iter()
            .find(|a| a.id == "web-analytics")
            .unwrap();
        assert_eq!(
            analytics.retention_rules,
            [sentence.trim_end_matches('.')],
            "{lang:?}"
        );
        let ropa = kapsel_publish::record_of_processing(&file, &lang).unwrap();
        let csv = ropa.to_csv();
        assert!(csv.contains(sentence), "{csv}");
        assert!(
            csv.contains(
                "(Statistics are not kept longer than the analytics provider keeps them.)"
            ),
            "the rule's ground in the record: {csv}"
        );
        // Activities without rules say nothing of automatic deletion.
        let others = notice.activities.iter().filter(|a| a.id != "web-analytics");
        assert!(others.clone().all(|a| a.retention_rules.is_empty()));
    }
    let longer = with_page_views("26 months");
    let said = sentences(&diff(&file, &longer, SITE), "nb");
    assert!(
        said.contains("(tabellen page_views): 26 måneder (før: 25 måneder)"),
        "{said}"
    );
}
