//! The stored revision documents of the example and the publish fixtures, byte for byte. A
//! change here changes the revision of every site that uses this version of Kapsel, and every
//! visitor is asked again: the golden files in `tests/fixtures/revision-documents/` were written
//! by the code before the document became a typed `RevisionDocument`, and may only be rewritten
//! when the example or a fixture changes on purpose.

use std::path::PathBuf;

use kapsel_core::privacy::revision::consent_projection;
use kapsel_core::privacy::{ConsentSettings, PrivacyFile, RevisionDocument, site_revision};
use kapsel_publish::file_from_projection;

use kapsel_testkit::example_file;

use super::support::fixture;

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/revision-documents")
}

fn file_named(name: &str) -> PrivacyFile {
    match name {
        "example" => example_file(),
        fixture_name => fixture(&format!("{fixture_name}.toml")),
    }
}

/// (file, site, revision) as listed in `revisions.txt`.
fn goldens() -> Vec<(String, String, String)> {
    let index = std::fs::read_to_string(golden_dir().join("revisions.txt")).unwrap();
    let goldens: Vec<(String, String, String)> = index
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let [file, site, revision] = fields[..] else {
                panic!("revisions.txt: bad line {line:?}");
            };
            (file.to_owned(), site.to_owned(), revision.to_owned())
        })
        .collect();
    assert_eq!(
        goldens.len(),
        7,
        "every site of the example and the fixtures"
    );
    goldens
}

#[test]
fn documents_and_revisions_are_what_they_were() {
    for (name, site, revision) in goldens() {
        let file = file_named(&name);
        let golden =
            std::fs::read_to_string(golden_dir().join(format!("{name}.{site}.json"))).unwrap();
        let document = RevisionDocument::of(&file, &site).unwrap();
        let stored = document.to_json().unwrap();
        if std::env::var_os("KAPSEL_REWRITE_REVISION_GOLDENS").is_some() {
            // Only when the example or a fixture changed on purpose; revisions.txt by hand.
            std::fs::write(golden_dir().join(format!("{name}.{site}.json")), &stored).unwrap();
            eprintln!("{name} {site} {}", document.revision().unwrap());
            continue;
        }
        assert!(
            stored == golden,
            "{name} {site}: the stored document changed:\n{stored}"
        );
        assert_eq!(
            document.revision().unwrap().as_str(),
            revision,
            "{name} {site}"
        );
        assert_eq!(
            site_revision(&file, &site).unwrap().as_str(),
            revision,
            "{name} {site}"
        );
        // What the server stores today, through the JSON value.
        let value = consent_projection(&file, &site).unwrap().to_string();
        assert!(
            value == golden,
            "{name} {site}: consent_projection changed:\n{value}"
        );
    }
}

#[test]
fn stored_documents_read_back_whole() {
    for (name, site, _) in goldens() {
        let file = file_named(&name);
        let golden =
            std::fs::read_to_string(golden_dir().join(format!("{name}.{site}.json"))).unwrap();
        let read = RevisionDocument::from_json(&golden).unwrap();
        assert_eq!(
            read,
            RevisionDocument::of(&file, &site).unwrap(),
            "{name} {site}"
        );
        assert!(
            read.to_json().unwrap() == golden,
            "{name} {site}: not stable"
        );
        // The change log's file keeps the consent settings (they used to be dropped).
        let back = file_from_projection(&golden).unwrap();
        let consent = &read.consent;
        assert_eq!(
            back.consent,
            ConsentSettings {
                accept_duration: consent.accept_duration.clone(),
                reject_duration: consent.reject_duration.clone(),
                gpc_disables_marketing: consent.gpc_disables_marketing,
                dnt_as_gpc: consent.dnt_as_gpc,
            },
            "{name} {site}"
        );
        assert_eq!(
            back.consent.gpc_disables_marketing, file.consent.gpc_disables_marketing,
            "{name} {site}"
        );
        assert_eq!(
            RevisionDocument::of(&back, &site).unwrap(),
            read,
            "{name} {site}: the file read back describes the same revision"
        );
    }
}
