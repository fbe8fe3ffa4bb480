//! Broken privacy files under tests/fixtures/broken, each with every problem `load` must report:
//! exact message, line and column. The expected output is what `kapsel check` prints.

use kapsel_core::privacy;
use proptest::prelude::*;

use super::example::example_source;

fn problems_of(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/broken/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let source = std::fs::read_to_string(&path).unwrap();
    match privacy::load(&source, name) {
        Ok(_) => panic!("{name} loaded without problems"),
        Err(problems) => problems.to_string(),
    }
}

/// Every fixture in the folder, so a new file cannot be forgotten in the table below.
fn fixture_names() -> Vec<String> {
    let folder = format!("{}/tests/fixtures/broken", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_broken_file_reports_exactly_its_problems() {
    let mut failures = Vec::new();
    let names = fixture_names();
    assert!(names.len() >= 14, "only {} fixtures", names.len());
    for name in &names {
        let Some((_, expected)) = EXPECTED.iter().find(|(fixture, _)| fixture == name) else {
            failures.push(format!(
                "{name}: no expected output in EXPECTED; it reports:\n{}",
                problems_of(name)
            ));
            continue;
        };
        let actual = problems_of(name);
        if actual != *expected {
            failures.push(format!(
                "{name}:\n--- expected\n{expected}\n--- actual\n{actual}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Damage to the example: a line dropped, a line doubled, or text spliced in somewhere.
#[derive(Debug, Clone)]
enum Damage {
    DropLine(usize),
    DoubleLine(usize),
    Splice(usize, String),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::DropLine),
        any::<usize>().prop_map(Damage::DoubleLine),
        (any::<usize>(), "[a-z_=\\[\\]{}\",. \n#ø0-9-]{1,12}")
            .prop_map(|(at, text)| Damage::Splice(at, text)),
    ]
}

fn apply(source: &str, damage: &Damage) -> String {
    let mut lines: Vec<&str> = source.lines().collect();
    match damage {
        Damage::DropLine(at) => {
            lines.remove(at % lines.len());
            lines.join("\n")
        }
        Damage::DoubleLine(at) => {
            let at = at % lines.len();
            lines.insert(at, lines[at]);
            lines.join("\n")
        }
        Damage::Splice(at, text) => {
            let mut at = at % source.len();
            while !source.is_char_boundary(at) {
                at -= 1;
            }
            format!("{}{text}{}", &source[..at], &source[at..])
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the damage, loading answers (never panics), and every problem points inside the
    /// file and says how to fix it.
    #[test]
    fn damaged_files_get_positioned_problems(damage in damage()) {
        let source = apply(&example_source(), &damage);
        if let Err(problems) = privacy::load(&source, "damaged.toml") {
            prop_assert!(!problems.is_empty());
            let line_count = source.lines().count() + 1;
            for problem in &problems {
                prop_assert!(problem.line >= 1 && problem.line <= line_count, "{problem}");
                let line = source.lines().nth(problem.line - 1).unwrap_or("");
                prop_assert!(problem.column >= 1 && problem.column <= line.chars().count() + 1, "{problem}");
                prop_assert!(!problem.message.is_empty() && !problem.hint.is_empty(), "{problem}");
            }
        }
    }
}

const EXPECTED: &[(&str, &str)] = &[
    (
        "01-syntax.toml",
        r#"01-syntax.toml:5:20: invalid TOML: invalid basic string, expected `"`
  hint: fix the TOML syntax at this position (strings need double quotes, tables `[name]`, lists of tables `[[name]]`)"#,
    ),
    (
        "02-unknown-keys.toml",
        r#"02-unknown-keys.toml:2:1: unknown key `colour` at the top level
  hint: remove it; the top level accepts `languages`, `version`, `organisation`, `consent`, `sites`, `categories`, `services`, `activities`, `notice`, `identifiers`, `datasets`, `retention`, `destinations`, `gate`
02-unknown-keys.toml:9:1: unknown key `contry` in organisation
  hint: did you mean `country`?
02-unknown-keys.toml:33:1: unknown key `purpos` in services[0].cookies[0]
  hint: did you mean `purpose`?"#,
    ),
    (
        "03-missing-field.toml",
        r#"03-missing-field.toml:21:1: missing field `purpose` in services[0]
  hint: add the field; see docs/privacy-file.md for what it holds"#,
    ),
    (
        "04-wrong-type.toml",
        r#"04-wrong-type.toml:14:11: invalid type: string "www.example.no", expected a sequence in sites[0].domains
  hint: write the value with the type named in the message (texts are tables like `{ nb = "…", nn = "…", en = "…" }`, lists are `[…]`)"#,
    ),
    (
        "05-unknown-variant.toml",
        r#"05-unknown-variant.toml:27:44: unknown variant `dpf`, expected one of `adequacy`, `sccs`, `bcr`, `other` in services[0].transfers[0].safeguard
  hint: use one of the values listed in the message"#,
    ),
    (
        "06-dangling-references.toml",
        r#"06-dangling-references.toml:15:24: site `www` lists service `matomo`, which is not declared
  hint: declare it under [[services]] or use one of: `analyse`
06-dangling-references.toml:25:12: service `analyse` is in category `statistics`, which is not declared
  hint: use one of: `necessary`, `analytics`, or declare it under [[categories]]
06-dangling-references.toml:40:24: activity `web-analytics` uses service `hotjar`, which is not declared
  hint: declare it under [[services]] or use one of: `analyse`"#,
    ),
    (
        "07-duplicate-ids.toml",
        r#"07-duplicate-ids.toml:22:6: duplicate site id `www` (first declared on line 12)
  hint: give each site its own id
07-duplicate-ids.toml:27:6: duplicate category id `analytics` (first declared on line 17)
  hint: give each category its own id
07-duplicate-ids.toml:43:6: duplicate service id `analyse` (first declared on line 32)
  hint: give each service its own id
07-duplicate-ids.toml:54:8: service `analyse` declares cookie `_an` twice (first on line 50)
  hint: remove one of them, or give them different `domain`s"#,
    ),
    (
        "08-bad-ids.toml",
        r#"08-bad-ids.toml:12:6: site id `Hoved side` may only hold lower-case letters a–z, digits and `-`
  hint: write it like `hoved-side`
08-bad-ids.toml:22:6: service id `Google_Analytics` may only hold lower-case letters a–z, digits and `-`
  hint: write it like `google-analytics`"#,
    ),
    (
        "09-missing-texts.toml",
        r#"09-missing-texts.toml:18:9: categories[0].label has no text in en
  hint: add en = "…"; every declared language needs a text
09-missing-texts.toml:26:11: services[0].purpose has no text in nb
  hint: add nb = "…"; every declared language needs a text
09-missing-texts.toml:31:51: services[0].cookies[0].purpose has a text in `de`, which is not in languages
  hint: add the language to `languages` or remove this text"#,
    ),
    (
        "10-bad-durations.toml",
        r#"10-bad-durations.toml:22:19: cannot read duration "1 yr": unknown unit
  hint: write "session", "persistent", or a whole number and a unit (second, minute, hour, day, week, month, year; singular or plural), e.g. "13 months"
10-bad-durations.toml:33:12: cannot read duration "13 moons": unknown unit
  hint: write "session", "persistent", or a whole number and a unit (second, minute, hour, day, week, month, year; singular or plural), e.g. "13 months"
10-bad-durations.toml:37:12: cannot read duration "forever": expected a number and a unit
  hint: write "session", "persistent", or a whole number and a unit (second, minute, hour, day, week, month, year; singular or plural), e.g. "13 months"
10-bad-durations.toml:47:20: cannot read duration "5": expected a number and a unit
  hint: write "session", "persistent", or a whole number and a unit (second, minute, hour, day, week, month, year; singular or plural), e.g. "13 months""#,
    ),
    (
        "11-necessary-without-justification.toml",
        r#"11-necessary-without-justification.toml:24:12: service `session` is in `necessary` but has no justification
  hint: add justification = { … } saying why the site cannot work without it, or move it to a category that asks for consent"#,
    ),
    (
        "12-legitimate-interests.toml",
        r#"12-legitimate-interests.toml:40:13: activity `web-analytics` claims legitimate interests, but service `analyse` is in category `analytics`, which needs consent
  hint: cookies and tracking outside `necessary` need consent (ekomloven § 3-15): set legal_basis = "consent", or move the service to `necessary` if the site cannot work without it
12-legitimate-interests.toml:47:15: activity `security-logs` claims legitimate interests without saying which
  hint: add legitimate_interest = { … } describing the interest (GDPR art. 13(1)(d))"#,
    ),
    (
        "13-empty-languages.toml",
        r#"13-empty-languages.toml:2:13: `languages` is empty
  hint: declare at least one language, the default first: languages = ["nb", "nn", "en"]"#,
    ),
    (
        "14-unknown-language.toml",
        r#"14-unknown-language.toml:2:26: unknown language tag `nk` in languages
  hint: use a lower-case ISO 639-1 code: nb (bokmål), nn (nynorsk), en (English), se (North Sami), …
14-unknown-language.toml:2:32: language `no` does not say which written Norwegian
  hint: use nb (bokmål) and/or nn (nynorsk)"#,
    ),
    (
        "16-necessary-marketing.toml",
        r#"16-necessary-marketing.toml:25:13: category `necessary` cannot be a marketing category
  hint: remove `marketing = true`: necessary is always on, marketing needs consent"#,
    ),
    (
        "17-transfer-other.toml",
        r#"17-transfer-other.toml:27:84: transfer to IN with safeguard `other` has no note
  hint: add note = { … } naming the safeguard or derogation (art. 46 or 49 GDPR)"#,
    ),
    (
        "18-site-domains.toml",
        r#"18-site-domains.toml:14:11: site `www` has no domains
  hint: list the host names it is served on, e.g. domains = ["www.example.no"]
18-site-domains.toml:19:12: domain "https://shop.example.no/" of site `shop` is not a host name
  hint: write only the host name, e.g. "www.example.no" (no scheme, port, path or leading dot)
18-site-domains.toml:19:40: domain "localhost:8080" of site `shop` is not a host name
  hint: write only the host name, e.g. "www.example.no" (no scheme, port, path or leading dot)
18-site-domains.toml:20:17: cookie_domain ".example.no" of site `shop` is not a host name
  hint: write a host name without a leading dot, e.g. "example.no" to cover its subdomains
18-site-domains.toml:26:17: cookie_domain "example.com" of site `blog` covers none of its domains
  hint: use one of the site's domains or a parent domain of them, e.g. "example.no" for "www.example.no""#,
    ),
    (
        "19-every-problem-in-one-pass.toml",
        r#"19-every-problem-in-one-pass.toml:29:44: unknown variant `scc`, expected one of `adequacy`, `sccs`, `bcr`, `other` in services[0].transfers[0].safeguard
  hint: did you mean `sccs`?
19-every-problem-in-one-pass.toml:33:12: cannot read duration "2 moons": unknown unit in services[0].cookies[0].duration
  hint: write "session", "persistent", or a whole number and a unit (second, minute, hour, day, week, month, year; singular or plural), e.g. "13 months"
19-every-problem-in-one-pass.toml:44:8: unknown variant `cookies`, expected one of `cookie`, `local_storage`, `session_storage`, `indexed_db`, `pixel` in services[1].cookies[0].kind
  hint: did you mean `cookie`?
19-every-problem-in-one-pass.toml:54:31: activity `analytics` uses service `nowhere`, which is not declared
  hint: declare it under [[services]]
19-every-problem-in-one-pass.toml:56:20: cannot read duration "forever": expected a number and a unit
  hint: write "session", "persistent", or a whole number and a unit (second, minute, hour, day, week, month, year; singular or plural), e.g. "13 months""#,
    ),
    (
        "20-language-tag.toml",
        r#"20-language-tag.toml:2:13: 4 texts are written in `en`, which is not in languages
  hint: add "en" to languages, or remove those texts
20-language-tag.toml:2:20: unknown language tag `eng` in languages
  hint: did you mean `en`? Tags are lower-case ISO 639-1 codes: nb (bokmål), nn (nynorsk), en (English), se (North Sami), …"#,
    ),
    (
        "21-facts-and-links.toml",
        r#"21-facts-and-links.toml:7:14: organisation number "999 888 777" fails the mod-11 check (its last digit is not the check digit)
  hint: write the 9-digit number from Brønnøysundregistrene (e.g. "999 888 771"); the last digit is a mod-11 check digit over the first 8 with weights 3 2 7 6 5 4 3 2
21-facts-and-links.toml:14:7: link "JavaScript:alert(1)" in organisation.authority.url uses the scheme `javascript`
  hint: links may only be https:, http: or mailto: (e.g. "https://www.example.no/personvern"); javascript:, data: and vbscript: links are never shown
21-facts-and-links.toml:20:31: link " javascript:alert(document.cookie)" in sites[0].links.privacy_notice.en holds whitespace or control characters (scheme `javascript`)
  hint: links may only be https:, http: or mailto: (e.g. "https://www.example.no/personvern"); javascript:, data: and vbscript: links are never shown
21-facts-and-links.toml:21:35: link "data:text/html,<script>alert(1)</script>" in sites[0].links.cookie_declaration.en uses the scheme `data`
  hint: links may only be https:, http: or mailto: (e.g. "https://www.example.no/personvern"); javascript:, data: and vbscript: links are never shown
21-facts-and-links.toml:35:18: link "vbscript:msgbox(1)" in services[0].privacy_policy uses the scheme `vbscript`
  hint: links may only be https:, http: or mailto: (e.g. "https://www.example.no/personvern"); javascript:, data: and vbscript: links are never shown
21-facts-and-links.toml:44:12: activity `ads` uses marketing services (pixel) but has no `automated_decisions`
  hint: add automated_decisions = { … } (GDPR art. 13(2)(f)): say whether profiles or audiences are built (remarketing is profiling) and whether any decision with legal or similarly significant effect is made; the notice says nothing it is not told"#,
    ),
    (
        "22-datasets.toml",
        r#"22-datasets.toml:28:6: `email` is always asked for and is not declared as an identifier
  hint: remove this entry
22-datasets.toml:37:8: `customers; DROP TABLE x` is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]{0,62})
  hint: table and column names are plain SQL identifiers: letters, digits, `_`
22-datasets.toml:39:39: identifier `phone` is not declared
  hint: use one of `email` or declare it under [[identifiers]]
22-datasets.toml:42:44: activity `newsletter` is not declared
  hint: use one of `orders`
22-datasets.toml:42:68: a hold needs its legal ground
  hint: e.g. `{ hold = { ground = "bokføringsloven § 13" } }`
22-datasets.toml:50:1: a webhook dataset has no tables Kapsel queries
  hint: remove `tables`, or declare the dataset on its SQL engine
22-datasets.toml:54:1: a manual dataset needs its `instructions`
  hint: say what the person handling a request must do in that system"#,
    ),
    (
        "23-retention.toml",
        r#"23-retention.toml:60:12: activity `newsletter` is not declared
  hint: use one of `orders`, `statistics`
23-retention.toml:61:11: dataset `crm` is a webhook dataset: Kapsel cannot run a rule there
  hint: use one of the SQL datasets: `shop`
23-retention.toml:72:9: table `order` is not a table of dataset `shop`
  hint: use one of `orders`
23-retention.toml:74:10: a retention period is a length of time, not "persistent"
  hint: write a whole number and a unit, e.g. "6 days" or "5 years"
23-retention.toml:84:10: rule `orders-short` keeps rows 3 years but activity `orders` states retention_period = "5 years"
  hint: make the rule's period and the activity's retention_period the same
23-retention.toml:94:10: rule `orders-anon` contradicts rule `orders-short`: the rows are removed after 3 years, before they would be anonymised after 5 years
  hint: give the rows one period, or narrow one rule with a filter
23-retention.toml:96:31: `id` is the table's primary key, which rows are addressed by
  hint: anonymise other columns; to remove rows use action = "delete"
23-retention.toml:96:53: `email; --` is not a plain column name
  hint: column names are plain SQL identifiers: letters, digits, `_`
23-retention.toml:104:10: rule `orders-parts` contradicts rule `orders-short`: both remove the same rows, after 3 years and after 5 years
  hint: give the rows one period, or narrow one rule with a filter
23-retention.toml:104:10: rule `orders-parts` contradicts rule `orders-anon`: the rows are removed after 5 years, before they would be anonymised after 5 years
  hint: give the rows one period, or narrow one rule with a filter
23-retention.toml:106:10: drop_partitions needs PostgreSQL's declarative partitions
  hint: use action = "delete" on this engine"#,
    ),
    (
        "24-destinations.toml",
        r#"24-destinations.toml:34:11: unknown identifier `customer-number`
  hint: declared identifiers: `email`
24-destinations.toml:39:14: destination `nothing` names no category
  hint: give the categories it needs, or ["necessary"] for one every event may reach
24-destinations.toml:45:14: destination `ads` sends to Meta's Conversions API, which has no consent field, but needs no marketing category
  hint: add a category with `marketing = true`: without that consent nothing may go to Meta
24-destinations.toml:45:28: unknown category `ads`
  hint: declared categories: `analytics`
24-destinations.toml:46:12: unknown activity `advertising`
  hint: declared activities: `statistics`
24-destinations.toml:47:10: unknown site `shop`
  hint: declared sites: `www`
24-destinations.toml:48:11: field `properties..value` has an empty part
  hint: a field is a dotted path into the event: `properties.revenue`, `context.page.url`
24-destinations.toml:48:32: field `traits.<b>` may only hold letters, digits, `_`, `-` and `.`
  hint: a field is a dotted path into the event: `properties.revenue`, `context.page.url`"#,
    ),
];
