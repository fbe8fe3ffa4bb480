//! The catalogue against the real Open Cookie Database CSV (read from ../shared; never copied
//! into this repository). Skips loudly when the file is absent, unless KAPSEL_REQUIRE_ALL=1.

use kapsel_core::catalogue::{Catalogue, CatalogueSource, KnownCategory};

use kapsel_testkit::{repo_root, skip};

fn open_cookie_database() -> Option<String> {
    let path = repo_root().join("../shared/data/open-cookie-database/open-cookie-database.csv");
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(error) => {
            skip(
                "the catalogue test",
                &format!(
                    "the Open Cookie Database cannot be read at {} ({error})",
                    path.display()
                ),
            );
            None
        }
    }
}

#[test]
fn loads_every_row_of_the_open_cookie_database() {
    let Some(csv) = open_cookie_database() else {
        return;
    };
    let data_rows = csv.lines().skip(1).filter(|l| !l.trim().is_empty()).count();
    let ocd = Catalogue::from_open_cookie_database_csv(&csv).unwrap();
    let counts = ocd.counts();
    // Quoted descriptions may span lines, so rows ≤ lines.
    assert!(
        counts.cookies > 2_000 && counts.cookies <= data_rows,
        "{counts:?}"
    );
    assert!(
        counts.prefixes > 200,
        "wildcard rows become prefixes: {counts:?}"
    );
    assert!(counts.hosts > 100, "{counts:?}");
    let parsed = ocd
        .cookies()
        .iter()
        .filter(|c| c.duration.is_some())
        .count();
    assert!(
        parsed * 10 >= counts.cookies * 9,
        "{parsed} of {} retention texts parsed",
        counts.cookies
    );
}

#[test]
fn looks_up_exact_names_prefixes_and_hosts() {
    let Some(csv) = open_cookie_database() else {
        return;
    };
    let ocd = Catalogue::from_open_cookie_database_csv(&csv).unwrap();
    let ga4 = ocd.lookup("_ga_1A2B3C4D5E").unwrap();
    assert!(ga4.prefix && ga4.name == "_ga_", "{ga4:?}");
    assert_eq!(ga4.category, KnownCategory::Analytics);
    let hotjar = ocd.lookup("_hjSessionUser_123456").unwrap();
    assert_eq!(hotjar.platform, "Hotjar");
    assert!(ocd.lookup("_ga").is_some_and(|c| !c.prefix));
    assert!(ocd.lookup_host("www.linkedin.com").is_some());

    let merged = Catalogue::builtin().merge(ocd);
    assert_eq!(
        merged.lookup("_ga").unwrap().source,
        CatalogueSource::Builtin
    );
    assert_eq!(
        merged.lookup("_fbp").unwrap().source,
        CatalogueSource::Builtin
    );
    let only_ocd = merged.lookup("CookieConsentBulkSetting-abc").unwrap();
    assert_eq!(only_ocd.source, CatalogueSource::OpenCookieDatabase);
    assert_eq!(
        merged.lookup_host("px.ads.linkedin.com").unwrap().source,
        CatalogueSource::Builtin
    );
}
