//! Durations as written in the privacy file: `"session"`, `"persistent"`, or a count and a unit
//! such as `"30 minutes"`, `"13 months"`, `"2 years"`. Parsing, display and an approximate length
//! in milliseconds. Calendar arithmetic (adding a month to a date) is not done here.

use std::fmt;
use std::str::FromStr;

use crate::clock::Millis;

/// How long a cookie, a consent choice or a retention period lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Duration {
    /// Until the browser session ends.
    Session,
    /// Storage with no expiry (local storage, IndexedDB).
    Persistent,
    /// A count of a unit: `13 months`.
    Span { count: u32, unit: DurationUnit },
}

/// The unit of a [`Duration::Span`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DurationUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

const SECOND_MS: i64 = 1_000;
const MINUTE_MS: i64 = 60 * SECOND_MS;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;
/// A Julian year, 365.25 days: twelve months make exactly one year.
const YEAR_MS: i64 = 365 * DAY_MS + DAY_MS / 4;
const MONTH_MS: i64 = YEAR_MS / 12;

impl DurationUnit {
    /// Every unit, with its singular and plural spelling.
    const SPELLINGS: [(DurationUnit, &'static str, &'static str); 7] = [
        (DurationUnit::Seconds, "second", "seconds"),
        (DurationUnit::Minutes, "minute", "minutes"),
        (DurationUnit::Hours, "hour", "hours"),
        (DurationUnit::Days, "day", "days"),
        (DurationUnit::Weeks, "week", "weeks"),
        (DurationUnit::Months, "month", "months"),
        (DurationUnit::Years, "year", "years"),
    ];

    /// Approximate length: a month is 1/12 of a 365.25-day year.
    pub fn millis(self) -> Millis {
        match self {
            DurationUnit::Seconds => SECOND_MS,
            DurationUnit::Minutes => MINUTE_MS,
            DurationUnit::Hours => HOUR_MS,
            DurationUnit::Days => DAY_MS,
            DurationUnit::Weeks => 7 * DAY_MS,
            DurationUnit::Months => MONTH_MS,
            DurationUnit::Years => YEAR_MS,
        }
    }

    /// The English word, singular for a count of one.
    pub fn word(self, count: u32) -> &'static str {
        let (_, singular, plural) = Self::SPELLINGS
            .iter()
            .copied()
            .find(|(unit, _, _)| *unit == self)
            .unwrap_or((self, "?", "?"));
        if count == 1 { singular } else { plural }
    }

    fn from_word(word: &str) -> Option<DurationUnit> {
        Self::SPELLINGS
            .iter()
            .find(|(_, singular, plural)| word == *singular || word == *plural)
            .map(|(unit, _, _)| *unit)
    }
}

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read duration {input:?}: {reason}")]
pub struct DurationError {
    pub input: String,
    pub reason: &'static str,
}

/// The grammar, for hints in error messages.
pub const DURATION_GRAMMAR: &str = "write \"session\", \"persistent\", or a whole number and a unit \
     (second, minute, hour, day, week, month, year; singular or plural), e.g. \"13 months\"";

impl Duration {
    /// Reads `"session"`, `"persistent"` or `"<count> <unit>"`; case-insensitive, spaces trimmed.
    pub fn parse(input: &str) -> Result<Duration, DurationError> {
        let error = |reason| DurationError {
            input: input.to_owned(),
            reason,
        };
        let lowered = input.trim().to_ascii_lowercase();
        match lowered.as_str() {
            "session" => return Ok(Duration::Session),
            "persistent" => return Ok(Duration::Persistent),
            "" => return Err(error("it is empty")),
            _ => {}
        }
        let mut words = lowered.split_whitespace();
        let (Some(count), Some(unit), None) = (words.next(), words.next(), words.next()) else {
            return Err(error("expected a number and a unit"));
        };
        let count: u32 = count
            .parse()
            .map_err(|_| error("the count is not a whole number"))?;
        if count == 0 {
            return Err(error("the count must be at least 1"));
        }
        let unit = DurationUnit::from_word(unit).ok_or_else(|| error("unknown unit"))?;
        Ok(Duration::Span { count, unit })
    }

    /// Approximate length in milliseconds; `None` for `session` and `persistent`.
    pub fn to_millis(self) -> Option<Millis> {
        match self {
            Duration::Session | Duration::Persistent => None,
            Duration::Span { count, unit } => unit.millis().checked_mul(i64::from(count)),
        }
    }
}

impl FromStr for Duration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Duration::parse(s)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Duration::Session => f.write_str("session"),
            Duration::Persistent => f.write_str("persistent"),
            Duration::Span { count, unit } => write!(f, "{count} {}", unit.word(*count)),
        }
    }
}

/// Serialised as written in the privacy file (`"13 months"`), so exports read naturally.
impl serde::Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_the_forms_used_by_cookie_declarations() {
        assert_eq!(Duration::parse("session"), Ok(Duration::Session));
        assert_eq!(Duration::parse(" Persistent "), Ok(Duration::Persistent));
        assert_eq!(
            Duration::parse("13 months"),
            Ok(Duration::Span {
                count: 13,
                unit: DurationUnit::Months
            })
        );
        assert_eq!(
            Duration::parse("1 day"),
            Ok(Duration::Span {
                count: 1,
                unit: DurationUnit::Days
            })
        );
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        for bad in [
            "",
            "13",
            "months",
            "13 moons",
            "-1 days",
            "0 days",
            "1.5 years",
            "1 day ago",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn twelve_months_are_a_year() {
        let year = Duration::parse("1 year").unwrap().to_millis();
        let months = Duration::parse("12 months").unwrap().to_millis();
        assert_eq!(year, months);
        assert_eq!(
            Duration::parse("2 days").unwrap().to_millis(),
            Some(172_800_000)
        );
        assert_eq!(Duration::Session.to_millis(), None);
    }

    proptest! {
        #[test]
        fn display_reads_back(count in 1u32..100_000, unit in 0usize..7) {
            let unit = DurationUnit::SPELLINGS[unit].0;
            let duration = Duration::Span { count, unit };
            prop_assert_eq!(Duration::parse(&duration.to_string()), Ok(duration));
        }
    }
}
