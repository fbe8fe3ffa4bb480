//! `diff` reports only real changes: any valid file diffed against itself, or against the same
//! file written differently (inline tables instead of sections, keys reordered, durations in
//! another case, comments), reports nothing. Entries are keyed by service, kind and name, so a
//! cookie and a local-storage key with one name are two entries, never one "changed" entry.

use kapsel_core::privacy::{PrivacyFile, load};
use kapsel_publish::{Change, diff};
use proptest::prelude::*;

const HEAD: &str = r#"languages = ["en"]

[organisation]
name = "Eksempel AS"
org_number = "999 888 771"
address = "Eksempelveien 1, 0150 Oslo"
country = "NO"
email = "personvern@example.no"

[[sites]]
id = "www"
name = "Eksempel"
domains = ["www.example.no"]

[[categories]]
id = "analytics"
label = { en = "Analytics" }
description = { en = "Counts visits." }
"#;

const KINDS: [&str; 3] = ["cookie", "local_storage", "session_storage"];
const DURATIONS: [(&str, &str); 4] = [
    ("2 years", "2 Years"),
    ("session", "SESSION"),
    ("13 months", " 13 months "),
    ("persistent", "Persistent"),
];

#[derive(Debug, Clone)]
struct Entry {
    name: &'static str,
    kind: usize,
    prefix: bool,
    third: bool,
    duration: usize,
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        prop::sample::select(vec!["ajs_user_id", "_x", "a"]),
        0..KINDS.len(),
        any::<bool>(),
        any::<bool>(),
        0..DURATIONS.len(),
    )
        .prop_map(|(name, kind, prefix, third, duration)| Entry {
            name,
            kind,
            prefix,
            third,
            duration,
        })
}

/// Services of entries, without the twins validation refuses (same name, kind and domain).
fn services() -> impl Strategy<Value = Vec<Vec<Entry>>> {
    prop::collection::vec(prop::collection::vec(entry(), 0..6), 1..4).prop_map(|services| {
        services
            .into_iter()
            .map(|entries| {
                let mut kept: Vec<Entry> = Vec::new();
                for e in entries {
                    if !kept
                        .iter()
                        .any(|k| k.name == e.name && k.kind == e.kind && k.third == e.third)
                    {
                        kept.push(e);
                    }
                }
                kept
            })
            .collect()
    })
}

/// The file in sections with keys in the usual order, or (`other`) in inline tables with keys
/// reordered, durations in another case and comments.
fn render(services: &[Vec<Entry>], other: bool) -> String {
    let mut out = String::from(HEAD);
    for (i, entries) in services.iter().enumerate() {
        if other {
            out +=
                &format!("\n# service {i}\n[[services]]\nname = \"Service {i}\"\nid = \"s{i}\"\n");
        } else {
            out += &format!("\n[[services]]\nid = \"s{i}\"\nname = \"Service {i}\"\n");
        }
        out += "category = \"analytics\"\nprovider = { name = \"Leverandør AS\", country = \"NO\" }\npurpose = { en = \"Counts.\" }\n";
        let fields = |e: &Entry| {
            let (plain, odd) = DURATIONS[e.duration];
            let duration = if other { odd } else { plain };
            let mut f = vec![
                format!("name = \"{}\"", e.name),
                format!("kind = \"{}\"", KINDS[e.kind]),
                format!("prefix = {}", e.prefix),
                format!("duration = \"{duration}\""),
            ];
            if e.third {
                f.push("party = \"third\"".to_owned());
                f.push(format!(
                    "domain = \"{}\"",
                    if other { "ex.com" } else { ".ex.com" }
                ));
            }
            if other {
                f.reverse();
            }
            f
        };
        if other {
            let inline: Vec<String> = entries
                .iter()
                .map(|e| format!("{{ {} }}", fields(e).join(", ")))
                .collect();
            out += &format!("cookies = [{}]\n", inline.join(", "));
        } else {
            for e in entries {
                out += &format!("\n[[services.cookies]]\n{}\n", fields(e).join("\n"));
            }
        }
    }
    out
}

fn loaded(source: &str) -> PrivacyFile {
    load(source, "prop.toml").unwrap_or_else(|problems| panic!("{problems}\n{source}"))
}

proptest! {
    #[test]
    fn a_file_and_its_reformatted_copy_differ_in_nothing(services in services()) {
        let plain = loaded(&render(&services, false));
        let other = loaded(&render(&services, true));
        for (a, b) in [(&plain, &plain), (&plain, &other), (&other, &plain), (&other, &other)] {
            let changes = diff(a, b, "www");
            prop_assert!(changes.is_empty(), "{changes:#?}");
        }
    }
}

#[test]
fn a_cookie_and_a_storage_key_of_one_name_are_two_entries() {
    let both = vec![vec![
        Entry {
            name: "ajs_user_id",
            kind: 0,
            prefix: false,
            third: false,
            duration: 0,
        },
        Entry {
            name: "ajs_user_id",
            kind: 1,
            prefix: false,
            third: false,
            duration: 3,
        },
    ]];
    let file = loaded(&render(&both, false));
    assert!(diff(&file, &file, "www").is_empty());
    let only_cookie = loaded(&render(&[vec![both[0][0].clone()]], false));
    let changes = diff(&only_cookie, &file, "www");
    assert!(
        matches!(&changes[..], [Change::CookieAdded { cookie, storage, .. }] if cookie == "ajs_user_id" && *storage == kapsel_core::privacy::StorageKind::LocalStorage),
        "{changes:#?}"
    );
    let sentence = changes[0].sentence(&kapsel_core::Lang::new("nb"));
    assert_eq!(
        sentence,
        "Ny nøkkel i lokal lagring ajs_user_id fra Service 0, varighet: ingen utløpsdato – ligger til du sletter nettleserdataene."
    );
}
