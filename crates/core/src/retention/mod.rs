//! The retention engine's rules of time and value: when a rule's period has run out for a row
//! ([`cutoff`]), what an anonymised value becomes ([`generalise`]), and the hash-chained
//! disposal records that prove what a run did ([`record`]). Nothing here reads the clock or
//! touches a database.

pub mod generalise;
pub mod hold;
pub mod record;

use crate::calendar::{add_months_to_instant, oslo_date_of, oslo_midnight_ms};
use crate::clock::Millis;
use crate::privacy::{CountedFrom, Duration, DurationUnit, RetentionRule};

/// The instant before which a row's timestamp means its period has run out at `now`: rows with
/// `timestamp < cutoff` are expired. Months and years are calendar months in UTC (31 March − 1
/// month = 28/29 February); shorter units are exact. Counted from the end of the year, a row is
/// expired once 1 January after its timestamp plus the period has passed, so the cutoff is
/// 1 January (Europe/Oslo) of the year `now − period` falls in. `None` when the rule's period
/// does not read or the date is out of range.
pub fn cutoff(rule: &RetentionRule, now: Millis) -> Option<Millis> {
    let back = back_by(rule.span()?, now)?;
    match rule.counted_from {
        CountedFrom::Timestamp => Some(back),
        CountedFrom::EndOfYear => {
            let date = oslo_date_of(back)?;
            oslo_midnight_ms(date.replace_ordinal(1).ok()?)
        }
    }
}

/// `now` moved back by `span`.
fn back_by(span: Duration, now: Millis) -> Option<Millis> {
    let Duration::Span { count, unit } = span else {
        return None;
    };
    let count = i64::from(count);
    match unit {
        DurationUnit::Months => add_months_to_instant(now, -count),
        DurationUnit::Years => add_months_to_instant(now, -count.checked_mul(12)?),
        short => now.checked_sub(short.millis().checked_mul(count)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::millis_of;
    use time::macros::datetime;

    fn rule(period: &str, counted_from: CountedFrom) -> RetentionRule {
        let mut rule: RetentionRule = toml::from_str(&format!(
            "id = \"r\"\nactivity = \"a\"\ndataset = \"d\"\ntable = \"t\"\ntimestamp = \"ts\"\n\
             period = \"{period}\"\nground = \"g\"\naction = \"delete\""
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        rule.counted_from = counted_from;
        rule
    }

    fn at(text: time::OffsetDateTime) -> Millis {
        millis_of(text).unwrap_or_default()
    }

    #[test]
    fn short_periods_are_exact_and_long_ones_calendar_months() {
        let now = at(datetime!(2026-03-31 10:00 UTC));
        let six_days = rule("6 days", CountedFrom::Timestamp);
        assert_eq!(cutoff(&six_days, now), Some(now - 6 * 86_400_000));
        let month = rule("1 month", CountedFrom::Timestamp);
        assert_eq!(
            cutoff(&month, now),
            Some(at(datetime!(2026-02-28 10:00 UTC)))
        );
        let years = rule("3 years", CountedFrom::Timestamp);
        assert_eq!(
            cutoff(&years, now),
            Some(at(datetime!(2023-03-31 10:00 UTC)))
        );
    }

    #[test]
    fn counted_from_the_end_of_the_year_keeps_the_whole_last_year() {
        // Accounts of 2020 may go on 1 January 2026 (five years after the end of 2020), those of
        // 2021 not before 1 January 2027.
        let rule = rule("5 years", CountedFrom::EndOfYear);
        let now = at(datetime!(2026-06-01 12:00 UTC));
        let cut = cutoff(&rule, now);
        assert_eq!(cut, Some(at(datetime!(2021-01-01 00:00 +1))));
        let last_of_2020 = at(datetime!(2020-12-31 22:59 UTC));
        let first_of_2021 = at(datetime!(2020-12-31 23:00 UTC));
        assert!(cut.is_some_and(|c| last_of_2020 < c && first_of_2021 >= c));
    }

    #[test]
    fn a_period_that_does_not_read_has_no_cutoff() {
        assert_eq!(cutoff(&rule("session", CountedFrom::Timestamp), 0), None);
        assert_eq!(cutoff(&rule("soon", CountedFrom::Timestamp), 0), None);
    }
}
