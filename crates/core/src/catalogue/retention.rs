//! Retention periods as catalogues write them ("13 months", "Session", "1 Year", "forever")
//! turned into a `KnownDuration` that can be compared with what a site declares or a browser shows.
//!
//! Only the catalogue's free text is parsed here; the privacy file's own duration grammar is
//! owned by `privacy`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A unit of a fixed retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

impl TimeUnit {
    /// Approximate length in seconds: a month is 30 days and a year 365 days, which is how
    /// browsers and vendors count them when they set `Max-Age`.
    pub fn approx_seconds(self) -> i64 {
        match self {
            TimeUnit::Seconds => 1,
            TimeUnit::Minutes => 60,
            TimeUnit::Hours => 3_600,
            TimeUnit::Days => 86_400,
            TimeUnit::Weeks => 7 * 86_400,
            TimeUnit::Months => 30 * 86_400,
            TimeUnit::Years => 365 * 86_400,
        }
    }

    fn english(self, count: u32) -> &'static str {
        let one = count == 1;
        match self {
            TimeUnit::Seconds if one => "second",
            TimeUnit::Seconds => "seconds",
            TimeUnit::Minutes if one => "minute",
            TimeUnit::Minutes => "minutes",
            TimeUnit::Hours if one => "hour",
            TimeUnit::Hours => "hours",
            TimeUnit::Days if one => "day",
            TimeUnit::Days => "days",
            TimeUnit::Weeks if one => "week",
            TimeUnit::Weeks => "weeks",
            TimeUnit::Months if one => "month",
            TimeUnit::Months => "months",
            TimeUnit::Years if one => "year",
            TimeUnit::Years => "years",
        }
    }

    fn from_word(word: &str) -> Option<TimeUnit> {
        let unit = match word {
            "s" | "sec" | "secs" | "second" | "seconds" => TimeUnit::Seconds,
            "min" | "mins" | "minute" | "minutes" => TimeUnit::Minutes,
            "h" | "hr" | "hrs" | "hour" | "hours" => TimeUnit::Hours,
            "d" | "day" | "days" => TimeUnit::Days,
            "w" | "week" | "weeks" => TimeUnit::Weeks,
            "mo" | "month" | "months" => TimeUnit::Months,
            "y" | "yr" | "yrs" | "year" | "years" => TimeUnit::Years,
            _ => return None,
        };
        Some(unit)
    }
}

/// How long a cookie or storage key lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum KnownDuration {
    /// Deleted when the browser closes.
    Session,
    /// Stored without an expiry (local storage, IndexedDB) until someone deletes it.
    Persistent,
    /// A fixed period such as 13 months.
    Fixed { count: u32, unit: TimeUnit },
}

impl KnownDuration {
    /// Parses a retention text as catalogues write it. `None` when the text names no period
    /// ("Unknown", "Varies", "Depends on the site").
    pub fn parse(text: &str) -> Option<KnownDuration> {
        let lower = text.trim().to_ascii_lowercase();
        let lower = lower.trim_end_matches('.');
        match lower {
            "session"
            | "end of session"
            | "end of session (browser)"
            | "browser session"
            | "session cookie"
            | "until the browser is closed" => {
                return Some(KnownDuration::Session);
            }
            "persistent" | "forever" | "unlimited" | "never" | "never expires"
            | "local storage" | "localstorage" | "indexeddb" | "no expiry" | "no expiration" => {
                return Some(KnownDuration::Persistent);
            }
            _ => {}
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
        let unit = TimeUnit::from_word(unit_text)?;
        Some(KnownDuration::Fixed { count, unit })
    }

    /// Approximate lifetime in seconds; `None` for session and persistent storage.
    pub fn approx_seconds(self) -> Option<i64> {
        match self {
            KnownDuration::Fixed { count, unit } => Some(i64::from(count) * unit.approx_seconds()),
            KnownDuration::Session | KnownDuration::Persistent => None,
        }
    }
}

/// Written in the privacy file's grammar: `session`, `persistent`, `13 months`, `1 day`.
impl fmt::Display for KnownDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnownDuration::Session => f.write_str("session"),
            KnownDuration::Persistent => f.write_str("persistent"),
            KnownDuration::Fixed { count, unit } => write!(f, "{count} {}", unit.english(*count)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_catalogues_use() {
        let fixed = |count, unit| Some(KnownDuration::Fixed { count, unit });
        assert_eq!(
            KnownDuration::parse("13 months"),
            fixed(13, TimeUnit::Months)
        );
        assert_eq!(KnownDuration::parse("1 Year"), fixed(1, TimeUnit::Years));
        assert_eq!(
            KnownDuration::parse("30 mins"),
            fixed(30, TimeUnit::Minutes)
        );
        assert_eq!(KnownDuration::parse("30d"), fixed(30, TimeUnit::Days));
        assert_eq!(
            KnownDuration::parse("Session"),
            Some(KnownDuration::Session)
        );
        assert_eq!(
            KnownDuration::parse("End of session (browser)"),
            Some(KnownDuration::Session)
        );
        assert_eq!(
            KnownDuration::parse("forever"),
            Some(KnownDuration::Persistent)
        );
        assert_eq!(KnownDuration::parse("Unknown"), None);
        assert_eq!(KnownDuration::parse("Varies"), None);
        assert_eq!(KnownDuration::parse("1 year or until logout"), None);
        assert_eq!(KnownDuration::parse(""), None);
    }

    #[test]
    fn displays_in_the_privacy_file_grammar() {
        let one_day = KnownDuration::Fixed {
            count: 1,
            unit: TimeUnit::Days,
        };
        assert_eq!(one_day.to_string(), "1 day");
        assert_eq!(
            KnownDuration::parse("2 Years")
                .map(|d| d.to_string())
                .as_deref(),
            Some("2 years")
        );
        assert_eq!(KnownDuration::Session.to_string(), "session");
    }

    #[test]
    fn approximates_seconds() {
        assert_eq!(
            KnownDuration::parse("24 hours").and_then(KnownDuration::approx_seconds),
            Some(86_400)
        );
        assert_eq!(KnownDuration::Session.approx_seconds(), None);
    }
}
