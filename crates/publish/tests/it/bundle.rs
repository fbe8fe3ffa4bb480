//! The access bundle from the example privacy file with a fictional shop dataset: unpacked with
//! the zip crate's reader, every file checked against the manifest, the rows in JSON and CSV,
//! two builds byte-identical, and the summary in nb, nn and en saying what the file says of
//! exactly the activities the found fields serve — and nothing the file does not say.

use std::io::{Cursor, Read};

use kapsel_core::Lang;
use kapsel_core::desk::{AccessResult, Right, TableRows};
use kapsel_core::privacy::{PrivacyFile, load};
use kapsel_publish::bundle::{
    BundleError, BundleInput, CONSENT_RECORDS, MANIFEST, SUMMARY, escape_html, sha256_hex,
};
use kapsel_publish::words::label;
use kapsel_publish::{PublishError, access_bundle, access_summary};
use kapsel_testkit::example_source;
use serde_json::{Map, Value, json};

use super::support::{PUBLISHED_MS, langs};

const HOSTILE: &str = "<script>alert(1)</script>";
const FORMULA: &str = "=HYPERLINK(\"https://example.org/x\",\"klikk\")";

/// The example file plus a shop dataset (fields serving course-bookings, accounting,
/// newsletter and support-chat) and a manual paper archive.
const DATASETS: &str = r#"
[[datasets]]
id = "shop"
connection = "shop_db"
engine = "sqlite"

[[datasets.tables]]
name = "customers"
primary_key = "id"
identity = { email = "email" }
[datasets.tables.fields]
customer_no = { category = "identifier", activity = "accounting", erasure = { hold = { ground = "bokføringsloven § 13" } } }
email = { category = "contact", activity = "course-bookings", erasure = "keyed_hash" }
name = { category = "identity", activity = "course-bookings", erasure = "set_null" }
city = { category = "address", activity = "course-bookings", erasure = "set_null" }

[[datasets.tables]]
name = "orders"
primary_key = "id"
belongs_to = [{ column = "customer_id", table = "customers", references = "id" }]
[datasets.tables.fields]
placed_on = { category = "purchase", activity = "accounting", erasure = { hold = { ground = "bokføringsloven § 13" } } }
total_cents = { category = "purchase", activity = "accounting", erasure = { hold = { ground = "bokføringsloven § 13" } } }

[[datasets.tables]]
name = "newsletter_subscriptions"
primary_key = "id"
identity = { email = "email" }
[datasets.tables.fields]
email = { category = "contact", activity = "newsletter", erasure = "delete_row" }
topic = { category = "preferences", activity = "newsletter", erasure = "delete_row" }

[[datasets.tables]]
name = "support_tickets"
primary_key = "id"
belongs_to = [{ column = "customer_id", table = "customers", references = "id" }]
[datasets.tables.fields]
subject = { category = "correspondence", activity = "support-chat", erasure = "delete_row" }

[[datasets]]
id = "paper-archive"
engine = "manual"
instructions = "Search the archive cabinet in room 2 for the customer's folder."
"#;

fn shop_file() -> PrivacyFile {
    let source = format!("{}\n{DATASETS}", example_source());
    load(&source, "kapsel.toml").unwrap_or_else(|problems| panic!("{problems}"))
}

fn row(pairs: &[(&str, Option<&str>)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.map_or(Value::Null, |v| json!(v))))
        .collect()
}

fn table(name: &str, columns: &[&str], rows: Vec<Map<String, Value>>) -> TableRows {
    TableRows {
        table: name.to_owned(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        rows,
    }
}

/// What an access request for kari@example.no found in the shop: her customer row (with a
/// hostile name and a formula as city), two orders, one subscription, no support tickets.
fn shop_result() -> AccessResult {
    AccessResult {
        dataset: "shop".into(),
        tables: vec![
            table(
                "customers",
                &["city", "customer_no", "email", "name"],
                vec![row(&[
                    ("city", Some(FORMULA)),
                    ("customer_no", Some("K-1001")),
                    ("email", Some("kari@example.no")),
                    ("name", Some(HOSTILE)),
                ])],
            ),
            table(
                "orders",
                &["placed_on", "total_cents"],
                vec![
                    row(&[
                        ("placed_on", Some("2026-01-05")),
                        ("total_cents", Some("12900")),
                    ]),
                    row(&[("placed_on", Some("2026-02-10")), ("total_cents", None)]),
                ],
            ),
            table(
                "newsletter_subscriptions",
                &["email", "topic"],
                vec![row(&[
                    ("email", Some("kari@example.no")),
                    ("topic", Some("-weekly")),
                ])],
            ),
            table("support_tickets", &["subject"], vec![]),
        ],
    }
}

fn consent_records() -> Vec<Value> {
    vec![
        json!({"id": "01JNQ7Z0000000000000000001", "recorded_at_ms": 1_767_261_600_000_i64, "choice": {"analytics": false, "marketing": false}}),
        json!({"id": "01JNQ7Z0000000000000000002", "recorded_at_ms": 1_769_940_000_000_i64, "choice": {"analytics": true, "marketing": false}}),
    ]
}

struct Fixture {
    file: PrivacyFile,
    datasets: Vec<AccessResult>,
    other: Vec<String>,
    records: Vec<Value>,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            file: shop_file(),
            datasets: vec![shop_result()],
            other: vec!["paper-archive".into()],
            records: consent_records(),
        }
    }

    fn input<'a>(&'a self, lang: &'a Lang, right: Right) -> BundleInput<'a> {
        BundleInput {
            file: &self.file,
            site: "www",
            lang,
            case_id: "case-0001",
            right,
            generated_ms: PUBLISHED_MS,
            datasets: &self.datasets,
            other_datasets: &self.other,
            consent_records: &self.records,
        }
    }
}

/// Every entry of a ZIP: (name, bytes, last modified).
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>, zip::DateTime)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (
                entry.name().unwrap().into_owned(),
                content,
                entry.last_modified().unwrap(),
            )
        })
        .collect()
}

fn file<'a>(entries: &'a [(String, Vec<u8>, zip::DateTime)], name: &str) -> &'a str {
    let (_, bytes, _) = entries
        .iter()
        .find(|(n, ..)| n == name)
        .unwrap_or_else(|| panic!("{name} is not in the bundle"));
    std::str::from_utf8(bytes).unwrap()
}

/// The part of the summary about one activity.
fn activity_section<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let start = html.find(&format!("id=\"activity-{id}\""))?;
    let rest = &html[start..];
    Some(&rest[..rest.find("</section>").unwrap()])
}

#[test]
fn the_bundle_holds_the_summary_the_rows_the_consent_records_and_a_true_manifest() {
    let fixture = Fixture::new();
    let nb = Lang::new("nb");
    let bytes = access_bundle(&fixture.input(&nb, Right::Access)).unwrap();
    let entries = unzip(&bytes);
    let names: Vec<&str> = entries.iter().map(|(n, ..)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            CONSENT_RECORDS,
            "datasets/shop/customers.csv",
            "datasets/shop/customers.json",
            "datasets/shop/newsletter_subscriptions.csv",
            "datasets/shop/newsletter_subscriptions.json",
            "datasets/shop/orders.csv",
            "datasets/shop/orders.json",
            SUMMARY,
            MANIFEST,
        ],
        "sorted, and no files for the table without rows"
    );

    // Every entry carries the bundle's instant: 2026-03-03 12:00 UTC is 13:00 in Oslo.
    for (name, _, time) in &entries {
        assert_eq!(
            (
                time.year(),
                time.month(),
                time.day(),
                time.hour(),
                time.minute()
            ),
            (2026, 3, 3, 13, 0),
            "{name}"
        );
    }

    let manifest: Value = serde_json::from_str(file(&entries, MANIFEST)).unwrap();
    assert_eq!(manifest["case_id"], "case-0001");
    assert_eq!(manifest["right"], "access");
    assert_eq!(manifest["site"], "www");
    assert_eq!(manifest["generated_at"], "2026-03-03T12:00:00.000Z");
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(
        listed.len(),
        entries.len() - 1,
        "every file but the manifest"
    );
    for (listed, (name, content, _)) in listed.iter().zip(&entries) {
        assert_eq!(listed["path"], name.as_str());
        assert_eq!(listed["size"], content.len());
        assert_eq!(listed["sha256"], sha256_hex(content).as_str(), "{name}");
    }
    // The hash is the plain SHA-256 an auditor computes with any tool.
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );

    let customers: Value =
        serde_json::from_str(file(&entries, "datasets/shop/customers.json")).unwrap();
    assert_eq!(
        customers,
        json!([{"city": FORMULA, "customer_no": "K-1001", "email": "kari@example.no", "name": HOSTILE}]),
        "JSON holds every value exactly"
    );
    let orders: Value = serde_json::from_str(file(&entries, "datasets/shop/orders.json")).unwrap();
    assert_eq!(
        orders,
        json!([
            {"placed_on": "2026-01-05", "total_cents": "12900"},
            {"placed_on": "2026-02-10", "total_cents": null}
        ])
    );
    assert_eq!(
        file(&entries, "datasets/shop/orders.csv"),
        "placed_on,total_cents\r\n2026-01-05,12900\r\n2026-02-10,\r\n"
    );
    assert_eq!(
        file(&entries, "datasets/shop/customers.csv"),
        "city,customer_no,email,name\r\n\"'=HYPERLINK(\"\"https://example.org/x\"\",\"\"klikk\"\")\",K-1001,kari@example.no,<script>alert(1)</script>\r\n",
        "the formula gets an apostrophe and is quoted as crate::csv quotes"
    );
    assert_eq!(
        file(&entries, "datasets/shop/newsletter_subscriptions.csv"),
        "email,topic\r\nkari@example.no,'-weekly\r\n"
    );

    let records: Vec<Value> = file(&entries, CONSENT_RECORDS)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records, fixture.records);

    assert_eq!(
        file(&entries, SUMMARY),
        access_summary(&fixture.input(&nb, Right::Access)),
        "index.html is the summary"
    );
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let fixture = Fixture::new();
    for lang in langs() {
        let first = access_bundle(&fixture.input(&lang, Right::Access)).unwrap();
        let second = access_bundle(&fixture.input(&lang, Right::Access)).unwrap();
        assert_eq!(first, second, "{lang}");
    }
    let nb = Lang::new("nb");
    let mut later = fixture.input(&nb, Right::Access);
    later.generated_ms += 60_000;
    assert_ne!(
        access_bundle(&fixture.input(&nb, Right::Access)).unwrap(),
        access_bundle(&later).unwrap(),
        "the instant is part of the bundle"
    );
}

#[test]
fn the_summary_describes_exactly_the_activities_the_found_fields_serve() {
    let fixture = Fixture::new();
    let served = ["course-bookings", "accounting", "newsletter"];
    for lang in langs() {
        let html = access_summary(&fixture.input(&lang, Right::Access));
        for activity in &fixture.file.activities {
            let name = activity.name.get(&lang, &[]).unwrap();
            let section = activity_section(&html, &activity.id);
            if served.contains(&activity.id.as_str()) {
                let section = section.unwrap_or_else(|| panic!("{lang}: {} missing", activity.id));
                assert!(
                    section.contains(&escape_html(name)),
                    "{lang}: {}",
                    activity.id
                );
                let purpose = activity.purpose.get(&lang, &[]).unwrap();
                assert!(section.contains(&escape_html(purpose)), "15(1)(a) {lang}");
                let categories = activity.data_categories.get(&lang, &[]).unwrap();
                assert!(
                    section.contains(&escape_html(categories)),
                    "15(1)(b) {lang}"
                );
                let retention = activity.retention.get(&lang, &[]).unwrap();
                assert!(section.contains(&escape_html(retention)), "15(1)(d) {lang}");
            } else {
                // support-chat's table was searched but held no rows: not described.
                assert!(section.is_none(), "{lang}: {} described", activity.id);
                assert!(!html.contains(&escape_html(name)), "{lang}: {name}");
            }
        }
        // Each found field is named with its category under the activity it serves.
        let bookings = activity_section(&html, "course-bookings").unwrap();
        assert!(bookings.contains("customers"), "{lang}");
        assert!(bookings.contains("email (contact)"), "{lang}");
        assert!(
            !bookings.contains("customer_no"),
            "{lang}: served accounting"
        );
        let accounting = activity_section(&html, "accounting").unwrap();
        assert!(accounting.contains("customer_no (identifier)"), "{lang}");
        assert!(accounting.contains("placed_on (purchase)"), "{lang}");
    }
}

#[test]
fn the_summary_says_nothing_for_a_key_the_file_leaves_out() {
    let fixture = Fixture::new();
    for lang in langs() {
        let html = access_summary(&fixture.input(&lang, Right::Access));
        let automated = format!("<dt>{}</dt>", label(&lang, "automated"));
        let recipients = format!("<dt>{}</dt>", label(&lang, "recipients"));
        let transfers = format!("<dt>{}</dt>", label(&lang, "transfers"));
        let source = format!("<dt>{}</dt>", label(&lang, "source"));
        let providers = format!("<dt>{}</dt>", label(&lang, "processors"));

        // course-bookings: no automated_decisions, recipients, transfers, source or provider
        // other than the controller itself.
        let bookings = activity_section(&html, "course-bookings").unwrap();
        for absent in [&automated, &recipients, &transfers, &source, &providers] {
            assert!(!bookings.contains(absent.as_str()), "{lang}: {absent}");
        }
        // newsletter states automated decisions (h) and HubSpot's US transfer (15(2)).
        let newsletter = activity_section(&html, "newsletter").unwrap();
        assert!(newsletter.contains(&automated), "{lang}");
        let decisions = fixture
            .file
            .activities
            .iter()
            .find(|a| a.id == "newsletter")
            .unwrap();
        let decisions = decisions
            .automated_decisions
            .as_ref()
            .unwrap()
            .get(&lang, &[])
            .unwrap();
        assert!(newsletter.contains(&escape_html(decisions)), "{lang}");
        assert!(newsletter.contains(&transfers), "{lang}");
        assert!(newsletter.contains("HubSpot Ireland Limited"), "{lang}");
        assert!(
            newsletter.contains("EU–US Data Privacy Framework"),
            "{lang}"
        );
        // accounting states its recipients (c) and processor.
        let accounting = activity_section(&html, "accounting").unwrap();
        assert!(accounting.contains(&recipients), "{lang}");
        assert!(accounting.contains("Eksempel Regnskap AS"), "{lang}");
        assert!(!accounting.contains(&automated), "{lang}");

        // Nowhere a default the file did not give: "we get the data from you", "no transfers".
        for invented in [
            "source_you",
            "no_transfers",
            "security_measures",
            "requirement",
        ] {
            assert!(
                !html.contains(&escape_html(label(&lang, invented))),
                "{lang}: {invented}"
            );
        }
    }

    // The source (15(1)(g)) is said where the file gives it.
    let mut with_source = Fixture::new();
    let bookings = with_source
        .file
        .activities
        .iter_mut()
        .find(|a| a.id == "course-bookings")
        .unwrap();
    let mut source = kapsel_core::Text::default();
    for (lang, text) in [
        ("nb", "Fra arbeidsgiveren din ved bedriftspåmelding."),
        ("nn", "Frå arbeidsgivaren din ved bedriftspåmelding."),
        ("en", "From your employer for company bookings."),
    ] {
        source.0.insert(lang.to_owned(), text.to_owned());
    }
    bookings.source = Some(source);
    with_source.datasets = vec![shop_result()];
    let nn = Lang::new("nn");
    let html = access_summary(&with_source.input(&nn, Right::Access));
    let bookings = activity_section(&html, "course-bookings").unwrap();
    assert!(bookings.contains(&format!("<dt>{}</dt>", label(&nn, "source"))));
    assert!(bookings.contains("Frå arbeidsgivaren din ved bedriftspåmelding."));
}

#[test]
fn the_summary_names_what_was_found_the_separate_datasets_the_rights_and_the_files() {
    let fixture = Fixture::new();
    for lang in langs() {
        let html = access_summary(&fixture.input(&lang, Right::Access));
        assert!(html.starts_with(&format!("<!doctype html>\n<html lang=\"{lang}\">")));
        assert!(
            !html.contains("<script"),
            "{lang}: no script, and the row value escaped"
        );
        assert!(html.contains(&escape_html(HOSTILE)), "{lang}");
        for count in ["1", "2", "0"] {
            let rows = if lang.as_str() == "en" {
                "Rows"
            } else {
                "Rader"
            };
            let cell = format!("<td class=\"kapsel-number\" data-label=\"{rows}\">{count}</td>");
            assert!(html.contains(&cell), "{lang}: {cell}");
        }
        assert!(
            html.contains("<li>paper-archive</li>"),
            "{lang}: handled separately"
        );
        assert!(html.contains(CONSENT_RECORDS), "{lang}");
        assert!(html.contains("case-0001"), "{lang}");
        assert!(html.contains("<time datetime=\"2026-03-03\">"), "{lang}");
        let org = &fixture.file.organisation;
        assert!(html.contains(&escape_html(&org.name)), "{lang}");
        // 15(1)(e): rectification, erasure, restriction, objection; (f): the authority.
        for article in ["(art. 16)", "(art. 17)", "(art. 18)", "(art. 21)"] {
            assert!(html.contains(article), "{lang}: {article}");
        }
        let authority = org.authority.as_ref().unwrap();
        assert!(html.contains(&escape_html(authority.name.get(&lang, &[]).unwrap())));
        assert!(
            html.contains("href=\"https://www.datatilsynet.no/\""),
            "{lang}"
        );
        // Accessible markup: every table has a caption, every header cell a scope, headings
        // in order.
        assert_eq!(
            html.matches("<table").count(),
            html.matches("<caption").count()
        );
        assert_eq!(
            html.matches("<th ").count(),
            html.matches("<th scope=").count()
        );
        assert!(
            !html.contains("<th>"),
            "{lang}: a header cell without scope"
        );
        assert_eq!(html.matches("<h1>").count(), 1);
        assert!(html.find("<h1>").unwrap() < html.find("<h2").unwrap());
        // Each data file with its hash.
        let entries = unzip(&access_bundle(&fixture.input(&lang, Right::Access)).unwrap());
        for (name, content, _) in &entries {
            if name.starts_with("datasets/") || name == CONSENT_RECORDS {
                assert!(html.contains(&sha256_hex(content)), "{lang}: {name}");
            }
        }
    }
    let nb = Lang::new("nb");
    let html = access_summary(&fixture.input(&nb, Right::Access));
    assert!(html.contains("Tabellen orders i registeret shop (2 rader)"));
    assert!(
        html.contains("Vi har 2 registreringer av valgene du har gjort om informasjonskapsler.")
    );
    assert!(
        html.contains("med en apostrof"),
        "the CSV note, as a value was changed"
    );
    let portability = access_summary(&fixture.input(&nb, Right::Portability));
    assert!(portability.contains("artikkel 20"));
    assert!(!portability.contains("artikkel 15."));
}

#[test]
fn nothing_found_is_said_and_no_activity_is_described() {
    let mut fixture = Fixture::new();
    for table in &mut fixture.datasets[0].tables {
        table.rows.clear();
    }
    fixture.records.clear();
    fixture.other.clear();
    let en = Lang::new("en");
    let html = access_summary(&fixture.input(&en, Right::Access));
    assert!(html.contains("We found no data about you in the datasets we searched."));
    assert!(!html.contains("id=\"activity-"));
    assert!(!html.contains("id=\"purposes\""));
    assert!(!html.contains(CONSENT_RECORDS));
    let entries = unzip(&access_bundle(&fixture.input(&en, Right::Access)).unwrap());
    let names: Vec<&str> = entries.iter().map(|(n, ..)| n.as_str()).collect();
    assert_eq!(names, [SUMMARY, MANIFEST]);
}

#[test]
fn a_bundle_is_refused_for_what_it_cannot_answer_truthfully() {
    let fixture = Fixture::new();
    let nb = Lang::new("nb");
    let refused = access_bundle(&fixture.input(&nb, Right::Erasure));
    assert!(matches!(
        refused,
        Err(BundleError::NotAnExport(Right::Erasure))
    ));

    let mut input = fixture.input(&nb, Right::Access);
    input.site = "nowhere";
    assert!(matches!(
        access_bundle(&input),
        Err(BundleError::Publish(PublishError::UnknownSite(_)))
    ));

    let de = Lang::new("de");
    assert!(matches!(
        access_bundle(&fixture.input(&de, Right::Access)),
        Err(BundleError::Publish(PublishError::UnknownLanguage { .. }))
    ));
    // The summary alone falls back to the file's first language.
    assert!(access_summary(&fixture.input(&de, Right::Access)).contains("<html lang=\"nb\">"));

    let mut unknown = Fixture::new();
    unknown.datasets[0].dataset = "crm".into();
    assert!(matches!(
        access_bundle(&unknown.input(&nb, Right::Access)),
        Err(BundleError::UnknownDataset(d)) if d == "crm"
    ));
    let mut undeclared = Fixture::new();
    undeclared.datasets[0].tables[1]
        .columns
        .push("secret".into());
    assert!(matches!(
        access_bundle(&undeclared.input(&nb, Right::Access)),
        Err(BundleError::UnknownField { column, .. }) if column == "secret"
    ));
}

#[test]
fn summary_snapshots() {
    let fixture = Fixture::new();
    for lang in langs() {
        insta::with_settings!({ prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(
                format!("bundle_summary_{lang}.html"),
                access_summary(&fixture.input(&lang, Right::Access))
            );
        });
    }
}
