//! Tests of `validate_retention`: a sound file loads, and the warning names exactly the
//! activities with data in a dataset whose stated period no rule enforces.
use super::*;
use crate::privacy::load;

const FILE: &str = r#"languages = ["en"]
[organisation]
name = "Example AS"
org_number = "999 888 771"
address = "Example Street 1, 0150 Oslo"
country = "NO"
email = "privacy@example.no"
[[sites]]
id = "www"
name = "Example"
domains = ["www.example.no"]
[[activities]]
id = "orders"
name = { en = "Orders" }
purpose = { en = "Deliver goods." }
legal_basis = "contract"
data_categories = { en = "Contact details." }
data_subjects = { en = "Customers." }
retention = { en = "Five years after the end of the financial year." }
retention_period = "5 years"
[[activities]]
id = "support"
name = { en = "Support" }
purpose = { en = "Answer questions." }
legal_basis = "contract"
data_categories = { en = "Messages." }
data_subjects = { en = "Customers." }
retention = { en = "A year after the ticket is closed." }
retention_period = "1 year"
[[datasets]]
id = "shop"
connection = "shop"
engine = "postgres"
[[datasets.tables]]
name = "orders"
primary_key = "id"
identity = { email = "email" }
[datasets.tables.fields]
email = { category = "contact", activity = "orders", erasure = "keyed_hash" }
[[datasets.tables]]
name = "tickets"
primary_key = "id"
identity = { email = "email" }
[datasets.tables.fields]
email = { category = "contact", activity = "support", erasure = "delete_row" }
"#;

const RULES: &str = r#"
[[retention]]
id = "orders-anonymise"
activity = "orders"
dataset = "shop"
table = "orders"
timestamp = "placed_at"
counted_from = "end_of_year"
period = "5 years"
ground = "bokføringsloven § 13"
action = { anonymise = { email = "keyed_hash", postcode = "postcode_prefix", born = "year" } }
[[retention]]
id = "tickets-closed"
activity = "support"
dataset = "shop"
table = "tickets"
timestamp = "closed_at"
period = "1 year"
ground = "Not needed once the question is answered."
action = "delete"
filter = { status = ["closed", "spam"] }
[[retention]]
id = "tickets-spam"
activity = "support"
dataset = "shop"
table = "tickets"
timestamp = "created_at"
period = "1 year"
ground = "Spam is not kept."
action = "drop_partitions"
"#;

fn warnings_of(source: &str) -> Vec<String> {
    let file = load(source, "r.toml").unwrap_or_else(|p| panic!("{p:?}"));
    retention_warnings(&file)
        .into_iter()
        .map(|w| format!("{}: {}", w.path, w.message))
        .collect()
}

#[test]
fn a_sound_file_with_rules_loads_and_warns_of_nothing() {
    let source = format!("{FILE}{RULES}");
    let file = load(&source, "r.toml").unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(file.retention.len(), 3);
    assert_eq!(
        file.retention[1].filter["status"].values(),
        ["closed".to_owned(), "spam".to_owned()]
    );
    assert!(warnings_of(&source).is_empty());
}

#[test]
fn an_activity_with_data_in_a_dataset_and_no_rule_is_warned_of() {
    assert_eq!(
        warnings_of(FILE),
        [
            "activities[0].retention_period: activity `orders` states a retention period but \
             no [[retention]] rule enforces it",
            "activities[1].retention_period: activity `support` states a retention period but \
             no [[retention]] rule enforces it",
        ]
    );
}
