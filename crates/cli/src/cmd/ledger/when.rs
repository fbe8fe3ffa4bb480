//! `--since` and `--until` of `kapsel ledger export`: an RFC 3339 instant with its offset
//! (`2026-12-01T00:00:00Z`, `2026-12-01T08:00:00+01:00`), or a plain date (`2026-12-01`), read
//! as that day in Europe/Oslo — the day an operator and Datatilsynet mean. `--since DATE` starts
//! at the date's first moment; `--until DATE` includes the whole date and ends at the next
//! day's first moment. Oslo's offset follows the EU rule (CEST from the last Sunday of March to
//! the last Sunday of October), so no time-zone database is needed; the rule lives in
//! `kapsel_core::calendar`, shared with the request deadlines.

use kapsel_core::calendar;
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

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
    let out_of_range = || format!("{text:?} is out of range");
    match parse_date(text) {
        Some(date) => {
            let day = if until { date.next_day() } else { Some(date) };
            day.and_then(calendar::oslo_midnight_ms)
                .ok_or_else(out_of_range)
        }
        None => {
            let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|err| {
                format!(
                    "{text:?} is neither a date such as 2026-12-01 (Europe/Oslo) nor an RFC 3339 \
                     instant such as 2026-12-01T00:00:00Z ({err})"
                )
            })?;
            calendar::millis_of(at).ok_or_else(out_of_range)
        }
    }
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
