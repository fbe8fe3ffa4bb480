//! `--since` and `--until` of `kapsel ledger export`: an RFC 3339 instant with its offset
//! (`2026-12-01T00:00:00Z`, `2026-12-01T08:00:00+01:00`), or a plain date (`2026-12-01`), read
//! as that day in Europe/Oslo — the day an operator and Datatilsynet mean. `--since DATE` starts
//! at the date's first moment; `--until DATE` includes the whole date and ends at the next
//! day's first moment. Oslo's offset follows the EU rule (CEST from the last Sunday of March to
//! the last Sunday of October), so no time-zone database is needed.

use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime, Weekday};

/// What a `--since` value means, in ms since the epoch.
pub fn parse_since(text: &str) -> Result<i64, String> {
    parse(text, false)
}

/// What an `--until` value means (exclusive), in ms since the epoch.
pub fn parse_until(text: &str) -> Result<i64, String> {
    parse(text, true)
}

fn parse(text: &str, until: bool) -> Result<i64, String> {
    let text = text.trim();
    let at = match parse_date(text) {
        Some(date) => {
            let day = if until {
                date.next_day()
                    .ok_or_else(|| format!("{text:?} is out of range"))?
            } else {
                date
            };
            oslo_midnight(day)
        }
        None => OffsetDateTime::parse(text, &Rfc3339).map_err(|err| {
            format!(
                "{text:?} is neither a date such as 2026-12-01 (Europe/Oslo) nor an RFC 3339 \
                 instant such as 2026-12-01T00:00:00Z ({err})"
            )
        })?,
    };
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| format!("{text:?} is out of range"))
}

fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()
}

fn last_sunday(year: i32, month: Month) -> Option<Date> {
    let mut day = Date::from_calendar_date(year, month, month.length(year)).ok()?;
    while day.weekday() != Weekday::Sunday {
        day = day.previous_day()?;
    }
    Some(day)
}

/// The first moment of `date` in Europe/Oslo. Summer time begins at 02:00 on the last Sunday
/// of March and ends at 03:00 on the last Sunday of October, so midnight of both Sundays still
/// has the offset of the day before.
fn oslo_midnight(date: Date) -> OffsetDateTime {
    let year = date.year();
    let summer = match (
        last_sunday(year, Month::March),
        last_sunday(year, Month::October),
    ) {
        (Some(start), Some(end)) => date > start && date <= end,
        _ => false,
    };
    let offset = if summer { 2 } else { 1 };
    date.midnight().assume_utc() - Duration::hours(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn dates_are_days_in_oslo_and_instants_keep_their_offset() {
        // 2026-01-01 00:00 in Oslo (CET) is 2025-12-31T23:00:00Z.
        assert_eq!(parse_since("2026-01-01"), Ok(1_767_225_600_000 - 3_600_000));
        assert_eq!(
            parse_until("2026-01-01"),
            Ok(1_767_225_600_000 - 3_600_000 + DAY)
        );
        // 2026-07-01 00:00 in Oslo (CEST) is 2026-06-30T22:00:00Z.
        assert_eq!(
            parse_since("2026-07-01"),
            parse_since("2026-06-30T22:00:00Z")
        );
        // Summer time begins on 2026-03-29 and ends on 2026-10-25.
        assert_eq!(
            parse_since("2026-03-29"),
            parse_since("2026-03-28T23:00:00Z")
        );
        assert_eq!(
            parse_since("2026-03-30"),
            parse_since("2026-03-29T22:00:00Z")
        );
        assert_eq!(
            parse_since("2026-10-25"),
            parse_since("2026-10-24T22:00:00Z")
        );
        assert_eq!(
            parse_since("2026-10-26"),
            parse_since("2026-10-25T23:00:00Z")
        );
        assert_eq!(parse_since("2026-12-01T00:00:00Z"), Ok(1_796_083_200_000));
        assert_eq!(
            parse_since("2026-01-01T01:00:00+01:00"),
            Ok(1_767_225_600_000)
        );
        for bad in [
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "26-01-01",
            "2026-1-1",
        ] {
            let err = parse_since(bad).unwrap_err();
            assert!(err.contains(&format!("{bad:?} is neither a date")), "{err}");
        }
    }
}
