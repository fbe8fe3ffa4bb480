//! Generates a large privacy file for the render benchmark: `services` services with
//! `cookies_per_service` cookies each, in nb, nn and en, over four categories, with transfers on
//! every third service and one processing activity per ten services. Deterministic: the same
//! sizes give the same file. All names are fictional.

use std::collections::BTreeMap;

use kapsel_core::Text;

fn text(what: &str, i: usize) -> Text {
    Text(BTreeMap::from([
        (
            "nb".to_owned(),
            format!("{what} nummer {i} på bokmål, med en setning om hva den gjør og hvorfor."),
        ),
        (
            "nn".to_owned(),
            format!("{what} nummer {i} på nynorsk, med ei setning om kva han gjer og kvifor."),
        ),
        (
            "en".to_owned(),
            format!("{what} number {i} in English, with a sentence about what it does and why."),
        ),
    ]))
}

fn toml_text(t: &Text) -> String {
    let parts: Vec<String> =
        t.0.iter()
            .map(|(lang, value)| format!("{lang} = {value:?}"))
            .collect();
    format!("{{ {} }}", parts.join(", "))
}

const CATEGORIES: [&str; 4] = ["necessary", "functional", "analytics", "marketing"];
const DURATIONS: [&str; 8] = [
    "session",
    "30 minutes",
    "24 hours",
    "7 days",
    "90 days",
    "6 months",
    "13 months",
    "2 years",
];

/// The privacy file as TOML text, so the benchmark also measures loading it.
pub fn privacy_file_toml(services: usize, cookies_per_service: usize) -> String {
    let mut out = String::new();
    out.push_str("languages = [\"nb\", \"nn\", \"en\"]\n\n");
    out.push_str("[organisation]\nname = \"Generert Eksempel AS\"\norg_number = \"999 999 999\"\naddress = \"Eksempelveien 1, 0150 Oslo\"\ncountry = \"NO\"\nemail = \"personvern@example.no\"\n\n");
    out.push_str("[organisation.dpo]\nrole = { nb = \"Personvernombud\", nn = \"Personvernombod\", en = \"Data protection officer\" }\nemail = \"dpo@example.no\"\n\n");
    out.push_str(
        "[[sites]]\nid = \"www\"\nname = \"Generert Eksempel\"\ndomains = [\"www.example.no\"]\n\n",
    );
    for (i, id) in CATEGORIES.iter().enumerate() {
        out.push_str(&format!(
            "[[categories]]\nid = \"{id}\"\nlabel = {}\ndescription = {}\nmarketing = {}\n\n",
            toml_text(&text("Kategori", i)),
            toml_text(&text("Kategoribeskrivelse", i)),
            *id == "marketing"
        ));
    }
    for s in 0..services {
        let category = CATEGORIES
            .get(s % CATEGORIES.len())
            .copied()
            .unwrap_or("necessary");
        out.push_str(&format!(
            "[[services]]\nid = \"service-{s}\"\nname = \"Tjeneste {s}\"\ncategory = \"{category}\"\nprovider = {{ name = \"Leverandør {s} AS\", country = \"{}\" }}\npurpose = {}\n",
            if s % 3 == 0 { "US" } else { "IE" },
            toml_text(&text("Formål", s)),
        ));
        if category == "necessary" {
            out.push_str(&format!(
                "justification = {}\n",
                toml_text(&text("Begrunnelse", s))
            ));
        }
        if s % 3 == 0 {
            out.push_str("transfers = [{ country = \"US\", safeguard = \"sccs\" }]\n");
        }
        out.push('\n');
        for c in 0..cookies_per_service {
            out.push_str(&format!(
                "[[services.cookies]]\nname = \"cookie_{s}_{c}\"\nprefix = {}\nparty = \"{}\"\nduration = \"{}\"\n\n",
                c % 5 == 4,
                if c % 2 == 0 { "first" } else { "third" },
                DURATIONS.get((s + c) % DURATIONS.len()).copied().unwrap_or("session"),
            ));
        }
    }
    for a in 0..services.div_ceil(10) {
        // Legitimate interests only cover necessary services (the validator insists).
        let consent = a % 2 == 0;
        let listed: Vec<String> = (a * 10..(a * 10 + 10).min(services))
            .filter(|s| consent || s % CATEGORIES.len() == 0)
            .take(3)
            .map(|s| format!("\"service-{s}\""))
            .collect();
        out.push_str(&format!(
            "[[activities]]\nid = \"activity-{a}\"\nname = {}\npurpose = {}\nlegal_basis = \"{}\"\n{}data_categories = {}\ndata_subjects = {}\nservices = [{}]\nretention = {}\nretention_period = \"13 months\"\n\n",
            toml_text(&text("Behandling", a)),
            toml_text(&text("Formål med behandlingen", a)),
            if consent { "consent" } else { "legitimate_interests" },
            if consent { String::new() } else { format!("legitimate_interest = {}\n", toml_text(&text("Interesse", a))) },
            toml_text(&text("Opplysninger", a)),
            toml_text(&text("Registrerte", a)),
            listed.join(", "),
            toml_text(&text("Lagringstid", a)),
        ));
    }
    out
}
