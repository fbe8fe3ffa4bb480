//! Calendar arithmetic: adding days, months and years to dates and instants, with months that
//! end early clamped to their last day (31 January + 1 month = 28 or 29 February). Consent
//! expiry uses it today; request deadlines (art. 12(3)) and retention cut-offs build on it.
//!
//! Instants are [`Millis`] in UTC; the time of day is kept. Nothing here reads the clock.
//!
//! Europe/Oslo, the zone in which Kapsel's legal days are counted, is computed here from the EU
//! summer-time rule (Directive 2000/84/EC) without a time-zone database: see [`oslo_offset_at`].

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::clock::Millis;

/// `date` plus `months` (negative goes back), clamped to the target month's last day.
/// `None` outside the representable years.
pub fn add_months(date: Date, months: i64) -> Option<Date> {
    let index = i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1;
    let target = index.checked_add(months)?;
    let year = i32::try_from(target.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(target.rem_euclid(12) + 1).ok()?).ok()?;
    let day = date.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).ok()
}

/// `date` plus `years`, clamped like [`add_months`] (29 February + 1 year = 28 February).
pub fn add_years(date: Date, years: i64) -> Option<Date> {
    add_months(date, years.checked_mul(12)?)
}

/// `date` plus `days` (negative goes back).
pub fn add_days(date: Date, days: i64) -> Option<Date> {
    date.checked_add(time::Duration::days(days))
}

/// The instant `at` (UTC) as a date-time; `None` outside the representable range.
pub fn datetime_of(at: Millis) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000).ok()
}

/// An instant for people and logs: RFC 3339 in UTC, or the milliseconds when out of range.
pub fn rfc3339(at: Millis) -> String {
    datetime_of(at)
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{at} ms"))
}

/// The start (00:00 UTC) of the day written `YYYY-MM-DD`, as forms send dates; `None` for
/// anything else.
pub fn day_start(text: &str) -> Option<Millis> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let year: i32 = text.get(..4)?.parse().ok()?;
    let month: u8 = text.get(5..7)?.parse().ok()?;
    let day: u8 = text.get(8..)?.parse().ok()?;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    millis_of(date.midnight().assume_utc())
}

/// The instant of `at` as milliseconds since the epoch.
pub fn millis_of(at: OffsetDateTime) -> Option<Millis> {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The instant `at` moved by `months` calendar months in UTC, keeping the time of day.
pub fn add_months_to_instant(at: Millis, months: i64) -> Option<Millis> {
    let at = datetime_of(at)?;
    millis_of(at.replace_date(add_months(at.date(), months)?))
}

/// Central European Time, Oslo's offset in winter.
const CET: UtcOffset = time::macros::offset!(+01:00);
/// Central European Summer Time, Oslo's offset in summer.
const CEST: UtcOffset = time::macros::offset!(+02:00);

/// The last Sunday of `month` in `year`.
pub fn last_sunday(year: i32, month: Month) -> Option<Date> {
    let last = Date::from_calendar_date(year, month, month.length(year)).ok()?;
    let back = i64::from(last.weekday().number_days_from_sunday());
    add_days(last, -back)
}

/// The instants at which summer time begins and ends in `year`: 01:00 UTC on the last Sunday
/// of March and of October (Directive 2000/84/EC, arts. 2 and 3). Summer time is the half-open
/// range `[start, end)`.
pub fn oslo_summer_time(year: i32) -> Option<(Millis, Millis)> {
    let at_one_utc = |month| -> Option<Millis> {
        let day = last_sunday(year, month)?;
        millis_of(day.with_hms(1, 0, 0).ok()?.assume_utc())
    };
    Some((at_one_utc(Month::March)?, at_one_utc(Month::October)?))
}

/// Europe/Oslo's UTC offset at the instant `at`: CEST (+02:00) from 01:00 UTC on the last
/// Sunday of March until 01:00 UTC on the last Sunday of October, CET (+01:00) otherwise.
pub fn oslo_offset_at(at: Millis) -> Option<UtcOffset> {
    let year = datetime_of(at)?.year();
    let (start, end) = oslo_summer_time(year)?;
    Some(if (start..end).contains(&at) {
        CEST
    } else {
        CET
    })
}

/// Europe/Oslo's UTC offset for a wall-clock time `local` in Oslo. A wall-clock time that
/// exists once has one answer. The two transition hours get the offset in force before the
/// transition: 02:30 on the last Sunday of October happens twice and is read as the first,
/// CEST one; 02:30 on the last Sunday of March never happens and is read as CET (which is
/// 03:30 CEST).
pub fn oslo_offset_of_local(local: PrimitiveDateTime) -> Option<UtcOffset> {
    let holds = |offset: UtcOffset| -> Option<bool> {
        let at = millis_of(local.assume_offset(offset))?;
        Some(oslo_offset_at(at)? == offset)
    };
    // Try CEST first: in October's repeated hour both hold, and CEST is the earlier reading.
    Some(if holds(CEST)? { CEST } else { CET })
}

/// The calendar date in Europe/Oslo at the instant `at`.
pub fn oslo_date_of(at: Millis) -> Option<Date> {
    let offset_ms = i64::from(oslo_offset_at(at)?.whole_seconds()) * 1000;
    Some(datetime_of(at.checked_add(offset_ms)?)?.date())
}

/// The first moment of `date` in Europe/Oslo, as an instant. Midnight is never inside a
/// transition hour, so it always exists exactly once.
pub fn oslo_midnight_ms(date: Date) -> Option<Millis> {
    let local = date.midnight();
    millis_of(local.assume_offset(oslo_offset_of_local(local)?))
}

#[cfg(test)]
mod tests {

    #[test]
    fn form_dates_are_whole_utc_days() {
        assert_eq!(day_start("2026-01-31"), Some(1_769_817_600_000));
        assert_eq!(day_start("2026-02-30"), None);
        assert_eq!(day_start("2026-1-31"), None);
        assert_eq!(day_start("../../etc"), None);
        assert_eq!(day_start(""), None);
    }

    use proptest::prelude::*;
    use time::macros::{date, datetime};

    use super::*;

    #[test]
    fn month_ends_are_clamped_and_leap_years_respected() {
        assert_eq!(
            add_months(date!(2026 - 01 - 31), 1),
            Some(date!(2026 - 02 - 28))
        );
        assert_eq!(
            add_months(date!(2028 - 01 - 31), 1),
            Some(date!(2028 - 02 - 29))
        );
        assert_eq!(
            add_months(date!(2026 - 03 - 31), -1),
            Some(date!(2026 - 02 - 28))
        );
        assert_eq!(
            add_months(date!(2026 - 08 - 31), 1),
            Some(date!(2026 - 09 - 30))
        );
        assert_eq!(
            add_months(date!(2026 - 12 - 15), 1),
            Some(date!(2027 - 01 - 15))
        );
        assert_eq!(
            add_years(date!(2028 - 02 - 29), 1),
            Some(date!(2029 - 02 - 28))
        );
        assert_eq!(
            add_years(date!(2028 - 02 - 29), 4),
            Some(date!(2032 - 02 - 29))
        );
        assert_eq!(
            add_days(date!(2026 - 12 - 31), 1),
            Some(date!(2027 - 01 - 01))
        );
    }

    #[test]
    fn instants_keep_their_time_of_day() {
        let at = millis_of(datetime!(2026-01-31 23:59:59.250 UTC)).unwrap();
        let later = add_months_to_instant(at, 1).unwrap();
        assert_eq!(
            datetime_of(later),
            Some(datetime!(2026-02-28 23:59:59.250 UTC))
        );
    }

    #[test]
    fn out_of_range_is_none_not_a_panic() {
        assert_eq!(add_months(date!(2026 - 01 - 01), i64::MAX), None);
        assert_eq!(add_years(date!(2026 - 01 - 01), 100_000), None);
    }

    fn ms(at: OffsetDateTime) -> Millis {
        millis_of(at).unwrap()
    }

    #[test]
    fn summer_time_begins_and_ends_at_one_utc_on_the_last_sundays() {
        // 2026: 29 March and 25 October; 2027: 28 March and 31 October (from a printed calendar).
        for (start, end) in [
            (
                datetime!(2026-03-29 01:00 UTC),
                datetime!(2026-10-25 01:00 UTC),
            ),
            (
                datetime!(2027-03-28 01:00 UTC),
                datetime!(2027-10-31 01:00 UTC),
            ),
        ] {
            assert_eq!(oslo_summer_time(start.year()), Some((ms(start), ms(end))));
            let minute = 60_000;
            assert_eq!(oslo_offset_at(ms(start) - minute), Some(CET), "{start}");
            assert_eq!(oslo_offset_at(ms(start)), Some(CEST), "{start}");
            assert_eq!(oslo_offset_at(ms(end) - minute), Some(CEST), "{end}");
            assert_eq!(oslo_offset_at(ms(end)), Some(CET), "{end}");
        }
        assert_eq!(last_sunday(2026, Month::March), Some(date!(2026 - 03 - 29)));
        assert_eq!(
            last_sunday(2027, Month::October),
            Some(date!(2027 - 10 - 31))
        );
        // A month that ends on a Sunday is its own last Sunday (31 May 2026).
        assert_eq!(last_sunday(2026, Month::May), Some(date!(2026 - 05 - 31)));
    }

    #[test]
    fn the_oslo_date_of_an_instant() {
        let cases = [
            // Winter: 23:30 UTC is already the next day in Oslo.
            (
                datetime!(2025-12-31 22:59:59.999 UTC),
                date!(2025 - 12 - 31),
            ),
            (datetime!(2025-12-31 23:00 UTC), date!(2026 - 01 - 01)),
            (datetime!(2026-01-30 23:30 UTC), date!(2026 - 01 - 31)),
            // Summer: from 22:00 UTC.
            (
                datetime!(2026-06-30 21:59:59.999 UTC),
                date!(2026 - 06 - 30),
            ),
            (datetime!(2026-06-30 22:00 UTC), date!(2026 - 07 - 01)),
            // The transition days themselves are one Oslo date either side of 01:00 UTC.
            (
                datetime!(2026-03-28 22:59:59.999 UTC),
                date!(2026 - 03 - 28),
            ),
            (datetime!(2026-03-28 23:00 UTC), date!(2026 - 03 - 29)),
            (datetime!(2026-03-29 00:59 UTC), date!(2026 - 03 - 29)),
            (datetime!(2026-03-29 01:00 UTC), date!(2026 - 03 - 29)),
            (
                datetime!(2026-03-29 21:59:59.999 UTC),
                date!(2026 - 03 - 29),
            ),
            (datetime!(2026-03-29 22:00 UTC), date!(2026 - 03 - 30)),
            (
                datetime!(2026-10-24 21:59:59.999 UTC),
                date!(2026 - 10 - 24),
            ),
            (datetime!(2026-10-24 22:00 UTC), date!(2026 - 10 - 25)),
            (datetime!(2026-10-25 00:59 UTC), date!(2026 - 10 - 25)),
            (datetime!(2026-10-25 01:00 UTC), date!(2026 - 10 - 25)),
            (
                datetime!(2026-10-25 22:59:59.999 UTC),
                date!(2026 - 10 - 25),
            ),
            (datetime!(2026-10-25 23:00 UTC), date!(2026 - 10 - 26)),
            (datetime!(2027-03-27 23:00 UTC), date!(2027 - 03 - 28)),
            (datetime!(2027-03-28 22:00 UTC), date!(2027 - 03 - 29)),
            (datetime!(2027-10-30 22:00 UTC), date!(2027 - 10 - 31)),
            (datetime!(2027-10-31 23:00 UTC), date!(2027 - 11 - 01)),
        ];
        for (at, expected) in cases {
            assert_eq!(oslo_date_of(ms(at)), Some(expected), "{at}");
        }
    }

    #[test]
    fn oslo_midnights_around_the_transitions() {
        let cases = [
            (date!(2026 - 01 - 01), datetime!(2025-12-31 23:00 UTC)),
            (date!(2026 - 03 - 29), datetime!(2026-03-28 23:00 UTC)),
            (date!(2026 - 03 - 30), datetime!(2026-03-29 22:00 UTC)),
            (date!(2026 - 07 - 01), datetime!(2026-06-30 22:00 UTC)),
            (date!(2026 - 10 - 25), datetime!(2026-10-24 22:00 UTC)),
            (date!(2026 - 10 - 26), datetime!(2026-10-25 23:00 UTC)),
            (date!(2027 - 03 - 28), datetime!(2027-03-27 23:00 UTC)),
            (date!(2027 - 03 - 29), datetime!(2027-03-28 22:00 UTC)),
            (date!(2027 - 10 - 31), datetime!(2027-10-30 22:00 UTC)),
            (date!(2027 - 11 - 01), datetime!(2027-10-31 23:00 UTC)),
        ];
        for (day, expected) in cases {
            assert_eq!(oslo_midnight_ms(day), Some(ms(expected)), "{day}");
        }
    }

    #[test]
    fn wall_clock_times_in_the_transition_hours() {
        use time::macros::offset;
        let cases = [
            (datetime!(2026-03-29 01:59), offset!(+01:00)),
            // 02:00–02:59 on 29 March 2026 never happens: read with the offset before it.
            (datetime!(2026-03-29 02:30), offset!(+01:00)),
            (datetime!(2026-03-29 03:00), offset!(+02:00)),
            (datetime!(2026-10-25 01:59), offset!(+02:00)),
            // 02:00–02:59 on 25 October 2026 happens twice: the first (summer) reading.
            (datetime!(2026-10-25 02:30), offset!(+02:00)),
            (datetime!(2026-10-25 03:00), offset!(+01:00)),
            (datetime!(2026-12-31 23:59), offset!(+01:00)),
        ];
        for (local, expected) in cases {
            assert_eq!(oslo_offset_of_local(local), Some(expected), "{local}");
        }
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (1900i32..2200, 1u8..=12, 1u8..=31).prop_map(|(y, m, d)| {
            let month = Month::try_from(m).unwrap();
            Date::from_calendar_date(y, month, d.min(time::util::days_in_month(month, y))).unwrap()
        })
    }

    proptest! {
        #[test]
        fn adding_months_moves_exactly_that_many_months(d in any_date(), m in -600i64..600) {
            let shifted = add_months(d, m).unwrap();
            let months = |x: Date| i64::from(x.year()) * 12 + i64::from(u8::from(x.month()));
            prop_assert_eq!(months(shifted) - months(d), m);
        }

        #[test]
        fn the_day_is_kept_unless_the_month_is_too_short(d in any_date(), m in -600i64..600) {
            let shifted = add_months(d, m).unwrap();
            let last = time::util::days_in_month(shifted.month(), shifted.year());
            prop_assert_eq!(shifted.day(), d.day().min(last));
        }

        #[test]
        fn an_oslo_day_starts_at_its_midnight(d in any_date()) {
            let start = oslo_midnight_ms(d).unwrap();
            prop_assert_eq!(oslo_date_of(start), Some(d));
            prop_assert_eq!(oslo_date_of(start - 1), d.previous_day());
        }

        #[test]
        fn oslo_days_last_23_24_or_25_hours(d in any_date()) {
            let next = d.next_day().unwrap();
            let hours = (oslo_midnight_ms(next).unwrap() - oslo_midnight_ms(d).unwrap()) / 3_600_000;
            let expected = if Some(d) == last_sunday(d.year(), Month::March) {
                23
            } else if Some(d) == last_sunday(d.year(), Month::October) {
                25
            } else {
                24
            };
            prop_assert_eq!(hours, expected);
        }

        #[test]
        fn local_times_outside_the_transition_hours_round_trip(
            at in -2_208_988_800_000i64..7_258_118_400_000,
        ) {
            let offset = oslo_offset_at(at).unwrap();
            let utc = datetime_of(at).unwrap();
            let local = utc.to_offset(offset);
            let local = PrimitiveDateTime::new(local.date(), local.time());
            // The second 02:xx of October's repeated hour reads as the first (CEST) one.
            let since_end = at - oslo_summer_time(utc.year()).unwrap().1;
            let second_repeat = (0..3_600_000).contains(&since_end);
            if !second_repeat {
                prop_assert_eq!(oslo_offset_of_local(local), Some(offset));
            }
        }

        #[test]
        fn going_there_and_back_never_overshoots(d in any_date(), m in 0i64..600) {
            let back = add_months(add_months(d, m).unwrap(), -m).unwrap();
            prop_assert!(back <= d);
            prop_assert!(d.day() - back.day() <= 3);
        }
    }
}
