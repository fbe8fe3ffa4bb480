//! Calendar arithmetic: adding days, months and years to dates and instants, with months that
//! end early clamped to their last day (31 January + 1 month = 28 or 29 February). Consent
//! expiry uses it today; request deadlines (art. 12(3)) and retention cut-offs build on it.
//!
//! Instants are [`Millis`] in UTC; the time of day is kept. Nothing here reads the clock.

use time::{Date, Month, OffsetDateTime};

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

/// The instant of `at` as milliseconds since the epoch.
pub fn millis_of(at: OffsetDateTime) -> Option<Millis> {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The instant `at` moved by `months` calendar months in UTC, keeping the time of day.
pub fn add_months_to_instant(at: Millis, months: i64) -> Option<Millis> {
    let at = datetime_of(at)?;
    millis_of(at.replace_date(add_months(at.date(), months)?))
}

#[cfg(test)]
mod tests {
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
        fn going_there_and_back_never_overshoots(d in any_date(), m in 0i64..600) {
            let back = add_months(add_months(d, m).unwrap(), -m).unwrap();
            prop_assert!(back <= d);
            prop_assert!(d.day() - back.day() <= 3);
        }
    }
}
