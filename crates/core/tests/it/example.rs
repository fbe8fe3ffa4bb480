//! The shipped `examples/kapsel.toml` loads without a single problem and says what it should.

use kapsel_core::privacy::{self, Duration, NECESSARY};

pub use kapsel_testkit::example_source;

#[test]
fn the_example_loads_clean() {
    let file = match privacy::load(&example_source(), "examples/kapsel.toml") {
        Ok(file) => file,
        Err(problems) => panic!("the example has problems:\n{problems}"),
    };
    assert_eq!(file.languages.len(), 3);
    assert!(file.site("www").is_some());
    // The demo that `kapsel serve` ships runs on loopback under its own site.
    let demo = file.site("demo").expect("site demo");
    assert!(demo.domains.iter().any(|d| d == "localhost"));
    assert!(demo.domains.iter().any(|d| d == "127.0.0.1"));
    let ids: Vec<&str> = file
        .services_for_site("www")
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    for wanted in [
        "google-analytics",
        "google-ads",
        "meta-pixel",
        "linkedin-insight",
        "youtube",
        "intercom",
        "siteimprove",
        "hubspot",
        "kapsel-consent",
    ] {
        assert!(ids.contains(&wanted), "{wanted} missing from www: {ids:?}");
    }
    assert_eq!(file.services_for_site("pamelding").len(), 4);
    assert_eq!(file.categories_with_necessary()[0].id, NECESSARY);
}

#[test]
fn the_consent_cookie_is_declared_necessary_and_lasts_as_long_as_a_choice() {
    let file = privacy::load(&example_source(), "kapsel.toml").unwrap();
    let kapsel = file.service("kapsel-consent").unwrap();
    assert_eq!(kapsel.category, NECESSARY);
    assert!(kapsel.justification.is_some());
    let cookie = kapsel
        .cookies
        .iter()
        .find(|c| c.name == "kapsel_consent")
        .unwrap();
    assert_eq!(
        Duration::parse(&cookie.duration).unwrap(),
        Duration::parse(&file.consent.accept_duration).unwrap()
    );
}
