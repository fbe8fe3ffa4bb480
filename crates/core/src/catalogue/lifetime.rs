//! Cookie lifetimes as catalogues write them ("13 months", "Session", "1 Year", "30d",
//! "forever") read into the privacy file's own [`Duration`], so that what a catalogue says, what
//! a site declares and what a browser shows are compared with one arithmetic. (The Open Cookie
//! Database calls this column "Retention period"; it is how long a cookie lives in a browser,
//! not how long an operator keeps data, which is the retention engine's business.)
//!
//! Only the lenient reading of a catalogue's free text lives here; the privacy file's strict
//! grammar, display and lengths belong to `privacy::duration`.

use crate::privacy::{Duration, DurationUnit};

/// Unit words and abbreviations catalogues use.
const UNIT_WORDS: [(&[&str], DurationUnit); 7] = [
    (
        &["s", "sec", "secs", "second", "seconds"],
        DurationUnit::Seconds,
    ),
    (&["min", "mins", "minute", "minutes"], DurationUnit::Minutes),
    (&["h", "hr", "hrs", "hour", "hours"], DurationUnit::Hours),
    (&["d", "day", "days"], DurationUnit::Days),
    (&["w", "week", "weeks"], DurationUnit::Weeks),
    (&["mo", "month", "months"], DurationUnit::Months),
    (&["y", "yr", "yrs", "year", "years"], DurationUnit::Years),
];

const SESSION: [&str; 6] = [
    "session",
    "end of session",
    "end of session (browser)",
    "browser session",
    "session cookie",
    "until the browser is closed",
];

const PERSISTENT: [&str; 10] = [
    "persistent",
    "forever",
    "unlimited",
    "never",
    "never expires",
    "local storage",
    "localstorage",
    "indexeddb",
    "no expiry",
    "no expiration",
];

/// Reads a cookie-lifetime text as catalogues write it. `None` when the text names no period
/// ("Unknown", "Varies", "1 year or until logout").
pub fn parse_lifetime(text: &str) -> Option<Duration> {
    let lower = text.trim().to_ascii_lowercase();
    let lower = lower.trim_end_matches('.');
    if SESSION.contains(&lower) {
        return Some(Duration::Session);
    }
    if PERSISTENT.contains(&lower) {
        return Some(Duration::Persistent);
    }
    let mut words = lower.split_whitespace();
    let (first, second, rest) = (words.next()?, words.next(), words.next());
    if rest.is_some() {
        return None;
    }
    let (count_text, unit_text) = match second {
        Some(unit) => (first, unit),
        // "30d", "13mo"
        None => first.split_at(first.find(|c: char| !c.is_ascii_digit())?),
    };
    let count: u32 = count_text.parse().ok()?;
    let unit = UNIT_WORDS
        .iter()
        .find(|(words, _)| words.contains(&unit_text))
        .map(|(_, unit)| *unit)?;
    Some(Duration::Span { count, unit })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_catalogues_use() {
        let span = |count, unit| Some(Duration::Span { count, unit });
        assert_eq!(parse_lifetime("13 months"), span(13, DurationUnit::Months));
        assert_eq!(parse_lifetime("1 Year"), span(1, DurationUnit::Years));
        assert_eq!(parse_lifetime("30 mins"), span(30, DurationUnit::Minutes));
        assert_eq!(parse_lifetime("30d"), span(30, DurationUnit::Days));
        assert_eq!(parse_lifetime("Session"), Some(Duration::Session));
        assert_eq!(
            parse_lifetime("End of session (browser)"),
            Some(Duration::Session)
        );
        assert_eq!(parse_lifetime("forever"), Some(Duration::Persistent));
        assert_eq!(parse_lifetime("Unknown"), None);
        assert_eq!(parse_lifetime("Varies"), None);
        assert_eq!(parse_lifetime("1 year or until logout"), None);
        assert_eq!(parse_lifetime(""), None);
    }

    #[test]
    fn reads_into_the_privacy_file_grammar_and_arithmetic() {
        assert_eq!(
            parse_lifetime("2 Years").map(|d| d.to_string()).as_deref(),
            Some("2 years")
        );
        // Twelve catalogue months are one privacy-file year: one arithmetic for both.
        assert_eq!(
            parse_lifetime("12 months").and_then(Duration::to_millis),
            Duration::parse("1 year").ok().and_then(Duration::to_millis)
        );
        assert_eq!(
            parse_lifetime("24 hours").and_then(Duration::to_millis),
            Some(86_400_000)
        );
    }
}
