//! The fixed texts around the data in every generated document — headings, labels, rights,
//! legal bases, durations in words — in Norwegian Bokmål (`nb`), Nynorsk (`nn`) and English
//! (`en`). Any other language falls back to English. Texts from the privacy file are not here.

use std::collections::BTreeMap;

use kapsel_core::Lang;
use kapsel_core::privacy::Duration;
use kapsel_core::privacy::duration::DurationUnit;

/// Which column of `LABELS` a language reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tongue {
    Bokmal,
    Nynorsk,
    English,
}

impl Tongue {
    pub fn of(lang: &Lang) -> Tongue {
        match lang.as_str() {
            "nb" | "no" => Tongue::Bokmal,
            "nn" => Tongue::Nynorsk,
            _ => Tongue::English,
        }
    }

    /// Picks the text for this language from a (nb, nn, en) triple.
    pub fn pick(self, nb: &'static str, nn: &'static str, en: &'static str) -> &'static str {
        match self {
            Tongue::Bokmal => nb,
            Tongue::Nynorsk => nn,
            Tongue::English => en,
        }
    }
}

mod labels;
mod terms;

use labels::LABELS;
pub use terms::{role_label, safeguard_label, safeguard_term, storage_noun};

/// Every label in one language, for templates (`{{ t.col_name }}`).
pub fn labels(lang: &Lang) -> BTreeMap<&'static str, &'static str> {
    let tongue = Tongue::of(lang);
    LABELS
        .iter()
        .map(|&(key, nb, nn, en)| (key, tongue.pick(nb, nn, en)))
        .collect()
}

/// One label; the key itself if it is missing (tests make sure none is).
pub fn label(lang: &Lang, key: &str) -> &'static str {
    let tongue = Tongue::of(lang);
    LABELS
        .iter()
        .find(|(k, ..)| *k == key)
        .map_or("", |&(_, nb, nn, en)| tongue.pick(nb, nn, en))
}

/// A duration as a visitor reads it: "13 måneder", "13 månader", "13 months",
/// "Slettes når du lukker nettleseren".
pub fn duration_in_words(duration: &Duration, lang: &Lang) -> String {
    let tongue = Tongue::of(lang);
    match duration {
        Duration::Session => tongue
            .pick(
                "Slettes når du lukker nettleseren",
                "Blir sletta når du lukkar nettlesaren",
                "Deleted when you close your browser",
            )
            .to_owned(),
        Duration::Persistent => tongue
            .pick(
                "Ingen utløpsdato – ligger til du sletter nettleserdataene",
                "Inga utløpsdato – ligg til du slettar nettlesardataa",
                "No expiry – kept until you clear your browser data",
            )
            .to_owned(),
        Duration::Span { count, unit } => {
            format!("{count} {}", unit_in_words(*unit, *count, tongue))
        }
    }
}

fn unit_in_words(unit: DurationUnit, count: u32, tongue: Tongue) -> &'static str {
    let one = count == 1;
    match (unit, one) {
        (DurationUnit::Seconds, true) => tongue.pick("sekund", "sekund", "second"),
        (DurationUnit::Seconds, false) => tongue.pick("sekunder", "sekund", "seconds"),
        (DurationUnit::Minutes, true) => tongue.pick("minutt", "minutt", "minute"),
        (DurationUnit::Minutes, false) => tongue.pick("minutter", "minutt", "minutes"),
        (DurationUnit::Hours, true) => tongue.pick("time", "time", "hour"),
        (DurationUnit::Hours, false) => tongue.pick("timer", "timar", "hours"),
        (DurationUnit::Days, true) => tongue.pick("dag", "dag", "day"),
        (DurationUnit::Days, false) => tongue.pick("dager", "dagar", "days"),
        (DurationUnit::Weeks, true) => tongue.pick("uke", "veke", "week"),
        (DurationUnit::Weeks, false) => tongue.pick("uker", "veker", "weeks"),
        (DurationUnit::Months, true) => tongue.pick("måned", "månad", "month"),
        (DurationUnit::Months, false) => tongue.pick("måneder", "månader", "months"),
        (DurationUnit::Years, _) => tongue.pick("år", "år", if one { "year" } else { "years" }),
    }
}

/// A duration text from the privacy file in words; the text itself if it cannot be read
/// (the loader has already rejected those, so this only happens for hand-built models).
pub fn duration_text_in_words(text: &str, lang: &Lang) -> String {
    match Duration::parse(text) {
        Ok(duration) => duration_in_words(&duration, lang),
        Err(_) => text.to_owned(),
    }
}

const MONTHS: [(&str, &str, &str); 12] = [
    ("januar", "januar", "January"),
    ("februar", "februar", "February"),
    ("mars", "mars", "March"),
    ("april", "april", "April"),
    ("mai", "mai", "May"),
    ("juni", "juni", "June"),
    ("juli", "juli", "July"),
    ("august", "august", "August"),
    ("september", "september", "September"),
    ("oktober", "oktober", "October"),
    ("november", "november", "November"),
    ("desember", "desember", "December"),
];

/// A UTC date in words: "3. mars 2026", "3 March 2026".
pub fn date_in_words(ms: kapsel_core::Millis, lang: &Lang) -> String {
    let Ok(moment) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
    else {
        return ms.to_string();
    };
    let month_index = usize::from(u8::from(moment.month())).saturating_sub(1);
    let (nb, nn, en) = MONTHS.get(month_index).copied().unwrap_or(("", "", ""));
    let tongue = Tongue::of(lang);
    let month = tongue.pick(nb, nn, en);
    match tongue {
        Tongue::English => format!("{} {month} {}", moment.day(), moment.year()),
        _ => format!("{}. {month} {}", moment.day(), moment.year()),
    }
}

/// An ISO 8601 date for `<time datetime>` and exports: "2026-03-03".
pub fn iso_date(ms: kapsel_core::Millis) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).map_or_else(
        |_| ms.to_string(),
        |moment| {
            format!(
                "{:04}-{:02}-{:02}",
                moment.year(),
                u8::from(moment.month()),
                moment.day()
            )
        },
    )
}

const COUNTRIES: &[(&str, &str, &str, &str)] = &[
    ("NO", "Norge", "Noreg", "Norway"),
    ("SE", "Sverige", "Sverige", "Sweden"),
    ("DK", "Danmark", "Danmark", "Denmark"),
    ("FI", "Finland", "Finland", "Finland"),
    ("IS", "Island", "Island", "Iceland"),
    ("DE", "Tyskland", "Tyskland", "Germany"),
    ("NL", "Nederland", "Nederland", "the Netherlands"),
    ("IE", "Irland", "Irland", "Ireland"),
    ("FR", "Frankrike", "Frankrike", "France"),
    ("BE", "Belgia", "Belgia", "Belgium"),
    ("LU", "Luxembourg", "Luxembourg", "Luxembourg"),
    ("GB", "Storbritannia", "Storbritannia", "the United Kingdom"),
    ("CH", "Sveits", "Sveits", "Switzerland"),
    ("US", "USA", "USA", "the United States"),
    ("CA", "Canada", "Canada", "Canada"),
    ("CN", "Kina", "Kina", "China"),
    ("SG", "Singapore", "Singapore", "Singapore"),
    ("IN", "India", "India", "India"),
    ("JP", "Japan", "Japan", "Japan"),
    ("AU", "Australia", "Australia", "Australia"),
];

/// A country name from its ISO 3166-1 alpha-2 code; the code itself for countries not listed.
pub fn country_name(code: &str, lang: &Lang) -> String {
    let tongue = Tongue::of(lang);
    COUNTRIES
        .iter()
        .find(|(c, ..)| c.eq_ignore_ascii_case(code))
        .map_or_else(
            || code.to_ascii_uppercase(),
            |&(_, nb, nn, en)| tongue.pick(nb, nn, en).to_owned(),
        )
}

/// Whether a country is in the EEA (transfers there need no safeguard).
pub fn in_eea(code: &str) -> bool {
    const EEA: [&str; 30] = [
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
        "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
    ];
    EEA.iter().any(|c| c.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(tag: &str) -> Lang {
        Lang::new(tag)
    }

    #[test]
    fn durations_read_naturally_in_each_language() {
        let months = Duration::parse("13 months").unwrap();
        assert_eq!(duration_in_words(&months, &lang("nb")), "13 måneder");
        assert_eq!(duration_in_words(&months, &lang("nn")), "13 månader");
        assert_eq!(duration_in_words(&months, &lang("en")), "13 months");
        let session = Duration::Session;
        assert_eq!(
            duration_in_words(&session, &lang("nb")),
            "Slettes når du lukker nettleseren"
        );
        assert_eq!(
            duration_in_words(&session, &lang("nn")),
            "Blir sletta når du lukkar nettlesaren"
        );
        assert_eq!(
            duration_in_words(&session, &lang("en")),
            "Deleted when you close your browser"
        );
        let one_year = Duration::parse("1 year").unwrap();
        assert_eq!(duration_in_words(&one_year, &lang("nb")), "1 år");
        assert_eq!(duration_in_words(&one_year, &lang("en")), "1 year");
        let minutes = Duration::parse("30 minutes").unwrap();
        assert_eq!(duration_in_words(&minutes, &lang("nn")), "30 minutt");
        assert_eq!(duration_in_words(&minutes, &lang("nb")), "30 minutter");
    }

    #[test]
    fn every_label_is_written_in_every_language() {
        for (key, nb, nn, en) in LABELS {
            assert!(!nb.is_empty() && !nn.is_empty() && !en.is_empty(), "{key}");
        }
        let mut keys: Vec<_> = LABELS.iter().map(|(k, ..)| k).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), LABELS.len(), "duplicate label keys");
    }

    #[test]
    fn dates_in_words() {
        // 2026-03-03T12:00:00Z
        let ms = 1_772_539_200_000;
        assert_eq!(date_in_words(ms, &lang("nb")), "3. mars 2026");
        assert_eq!(date_in_words(ms, &lang("en")), "3 March 2026");
        assert_eq!(iso_date(ms), "2026-03-03");
    }
}
