//! Norwegian public holidays and working days, for the deadlines of the request desk.
//!
//! The days that are not working days under Norwegian law: the holy days of the
//! helligdagsfredloven § 2 (1 January, Maundy Thursday, Good Friday, Easter Sunday and Monday,
//! Ascension Day, Whit Sunday and Monday, 25 and 26 December) and the two official holidays of
//! the lov om 1. og 17. mai som høgtidsdagar (1 May, 17 May). Saturdays and Sundays are not
//! working days either (Regulation 1182/71, art. 3(4)). Christmas Eve and New Year's Eve are
//! ordinary working days. Nothing here knows local or company holidays.

use time::{Date, Month, Weekday};

use crate::calendar;

/// Holidays on a fixed date: (month, day, stable id).
const FIXED: [(Month, u8, &str); 5] = [
    (Month::January, 1, "new_years_day"),
    (Month::May, 1, "labour_day"),
    (Month::May, 17, "constitution_day"),
    (Month::December, 25, "christmas_day"),
    (Month::December, 26, "boxing_day"),
];

/// Holidays that move with Easter: (days after Easter Sunday, stable id).
const MOVABLE: [(i64, &str); 7] = [
    (-3, "maundy_thursday"),
    (-2, "good_friday"),
    (0, "easter_sunday"),
    (1, "easter_monday"),
    (39, "ascension_day"),
    (49, "whit_sunday"),
    (50, "whit_monday"),
];

/// Easter Sunday of `year` in the Gregorian calendar, by the anonymous algorithm published by
/// Meeus (after Jones and Butcher, 1876). `None` only outside the representable years.
pub fn easter_sunday(year: i32) -> Option<Date> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
}

/// The stable id of the public holiday on `date` (`"easter_monday"`), if it is one. When two
/// coincide (17 May 2007 was also Ascension Day) the fixed one is named.
pub fn holiday_on(date: Date) -> Option<&'static str> {
    let fixed = FIXED
        .iter()
        .find(|(month, day, _)| date.month() == *month && date.day() == *day);
    if let Some((_, _, id)) = fixed {
        return Some(id);
    }
    let after_easter = (date - easter_sunday(date.year())?).whole_days();
    MOVABLE
        .iter()
        .find(|(offset, _)| *offset == after_easter)
        .map(|(_, id)| *id)
}

/// Whether `date` is a Norwegian public holiday (see the module documentation).
pub fn is_public_holiday(date: Date) -> bool {
    holiday_on(date).is_some()
}

/// Whether `date` is a working day: not a Saturday, not a Sunday, not a public holiday
/// (Regulation 1182/71, art. 3(4)).
pub fn is_working_day(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_public_holiday(date)
}

/// The first working day on or after `date` (art. 3(4) of Regulation 1182/71: a period whose
/// last day is not a working day ends with the following working day).
pub fn working_day_on_or_after(date: Date) -> Option<Date> {
    let mut day = date;
    while !is_working_day(day) {
        day = day.next_day()?;
    }
    Some(day)
}

/// The public holidays of `year` with their stable ids, in date order. A date appears twice
/// when two holidays coincide (1 May 2008 was also Ascension Day).
pub fn public_holidays(year: i32) -> Vec<(Date, &'static str)> {
    let fixed = FIXED.iter().filter_map(|(month, day, id)| {
        Some((Date::from_calendar_date(year, *month, *day).ok()?, *id))
    });
    let easter = easter_sunday(year);
    let movable = MOVABLE
        .iter()
        .filter_map(|(offset, id)| Some((calendar::add_days(easter?, *offset)?, *id)));
    let mut days: Vec<_> = fixed.chain(movable).collect();
    days.sort_by_key(|(date, _)| *date);
    days
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;

    /// Easter Sundays from a printed church calendar (checked against a second, independent
    /// implementation), not from the code under test.
    const EASTER: [(i32, Date); 15] = [
        (2000, date!(2000 - 04 - 23)),
        (2008, date!(2008 - 03 - 23)),
        (2019, date!(2019 - 04 - 21)),
        (2024, date!(2024 - 03 - 31)),
        (2025, date!(2025 - 04 - 20)),
        (2026, date!(2026 - 04 - 05)),
        (2027, date!(2027 - 03 - 28)),
        (2028, date!(2028 - 04 - 16)),
        (2029, date!(2029 - 04 - 01)),
        (2030, date!(2030 - 04 - 21)),
        (2031, date!(2031 - 04 - 13)),
        (2032, date!(2032 - 03 - 28)),
        (2033, date!(2033 - 04 - 17)),
        (2034, date!(2034 - 04 - 09)),
        (2035, date!(2035 - 03 - 25)),
    ];

    #[test]
    fn easter_matches_the_calendar() {
        for (year, expected) in EASTER {
            assert_eq!(easter_sunday(year), Some(expected), "{year}");
        }
    }

    #[test]
    fn the_holidays_of_2026() {
        let expected = vec![
            (date!(2026 - 01 - 01), "new_years_day"),
            (date!(2026 - 04 - 02), "maundy_thursday"),
            (date!(2026 - 04 - 03), "good_friday"),
            (date!(2026 - 04 - 05), "easter_sunday"),
            (date!(2026 - 04 - 06), "easter_monday"),
            (date!(2026 - 05 - 01), "labour_day"),
            (date!(2026 - 05 - 14), "ascension_day"),
            (date!(2026 - 05 - 17), "constitution_day"),
            (date!(2026 - 05 - 24), "whit_sunday"),
            (date!(2026 - 05 - 25), "whit_monday"),
            (date!(2026 - 12 - 25), "christmas_day"),
            (date!(2026 - 12 - 26), "boxing_day"),
        ];
        assert_eq!(public_holidays(2026), expected);
    }

    #[test]
    fn coinciding_holidays_are_listed_twice_and_named_once() {
        // Easter 2008 was 23 March, so Ascension Day fell on 1 May.
        let may_first: Vec<_> = public_holidays(2008)
            .into_iter()
            .filter(|(d, _)| *d == date!(2008 - 05 - 01))
            .collect();
        assert_eq!(
            may_first,
            [
                (date!(2008 - 05 - 01), "labour_day"),
                (date!(2008 - 05 - 01), "ascension_day")
            ]
        );
        assert_eq!(holiday_on(date!(2008 - 05 - 01)), Some("labour_day"));
        assert_eq!(holiday_on(date!(2007 - 05 - 17)), Some("constitution_day"));
        assert_eq!(public_holidays(2007).len(), 12);
    }

    #[test]
    fn working_days() {
        // Christmas Eve and New Year's Eve are working days; 2 January is one.
        assert!(is_working_day(date!(2026 - 12 - 24)));
        assert!(is_working_day(date!(2026 - 12 - 31)));
        assert!(is_working_day(date!(2026 - 01 - 02)));
        assert!(!is_working_day(date!(2026 - 01 - 01)));
        // A Saturday and a Sunday that are no holidays.
        assert!(!is_public_holiday(date!(2026 - 02 - 28)));
        assert!(!is_working_day(date!(2026 - 02 - 28)));
        assert!(!is_working_day(date!(2026 - 03 - 01)));
        // Wednesday before Easter 2026 works, Tuesday after Easter Monday works.
        assert!(is_working_day(date!(2026 - 04 - 01)));
        assert!(is_working_day(date!(2026 - 04 - 07)));
        assert_eq!(
            working_day_on_or_after(date!(2026 - 04 - 02)),
            Some(date!(2026 - 04 - 07))
        );
        assert_eq!(
            working_day_on_or_after(date!(2026 - 04 - 07)),
            Some(date!(2026 - 04 - 07))
        );
    }

    #[test]
    fn the_longest_run_of_non_working_days_is_easter() {
        // Maundy Thursday to Easter Monday: five days. Other runs (Christmas on a Thursday,
        // 17 May on the Tuesday after Whit Monday) are at most four.
        let mut longest = 0;
        let mut run = 0;
        let mut day = date!(1900 - 01 - 01);
        while day < date!(2300 - 01 - 01) {
            run = if is_working_day(day) { 0 } else { run + 1 };
            longest = longest.max(run);
            day = day.next_day().unwrap();
        }
        assert_eq!(longest, 5);
    }

    proptest! {
        #[test]
        fn easter_is_a_sunday_between_22_march_and_25_april(year in 1583i32..9999) {
            let easter = easter_sunday(year).unwrap();
            prop_assert_eq!(easter.weekday(), Weekday::Sunday);
            let earliest = Date::from_calendar_date(year, Month::March, 22).unwrap();
            let latest = Date::from_calendar_date(year, Month::April, 25).unwrap();
            prop_assert!((earliest..=latest).contains(&easter), "{}", easter);
        }

        #[test]
        fn movable_holidays_fall_on_their_weekdays(year in 1583i32..9999) {
            let weekday_of = |id: &str| {
                public_holidays(year)
                    .into_iter()
                    .find(|(_, i)| *i == id)
                    .map(|(d, _)| d.weekday())
            };
            prop_assert_eq!(weekday_of("maundy_thursday"), Some(Weekday::Thursday));
            prop_assert_eq!(weekday_of("good_friday"), Some(Weekday::Friday));
            prop_assert_eq!(weekday_of("easter_monday"), Some(Weekday::Monday));
            prop_assert_eq!(weekday_of("ascension_day"), Some(Weekday::Thursday));
            prop_assert_eq!(weekday_of("whit_sunday"), Some(Weekday::Sunday));
            prop_assert_eq!(weekday_of("whit_monday"), Some(Weekday::Monday));
        }

        #[test]
        fn every_year_has_twelve_holidays_within_it(year in 1583i32..9999) {
            let days = public_holidays(year);
            prop_assert_eq!(days.len(), 12);
            prop_assert!(days.iter().all(|(d, _)| is_public_holiday(*d) && d.year() == year));
        }
    }
}
