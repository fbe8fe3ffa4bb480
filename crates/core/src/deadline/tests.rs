//! The request clock against a real calendar: every expected date below was read off a printed
//! calendar for Norway (weekdays, Easter, summer time), never computed with the code under test.

use proptest::prelude::*;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime, Weekday};

use super::*;

fn ms(at: OffsetDateTime) -> Millis {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap()
}

fn month_index(d: Date) -> i32 {
    d.year() * 12 + i32::from(u8::from(d.month()))
}

struct Case {
    why: &'static str,
    received_at: OffsetDateTime,
    received: Date,
    same_date: Date,
    legal_due: Date,
    /// The first moment of the day after `legal_due`, with Oslo's offset on that day.
    ends_at: OffsetDateTime,
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { why: "31 January: February has no 31st, 28 Feb 2026 is a Saturday",
        received_at: datetime!(2026-01-31 12:00 +01:00), received: date!(2026-01-31),
        same_date: date!(2026-02-28), legal_due: date!(2026-03-02), ends_at: datetime!(2026-03-03 00:00 +01:00) },
    Case { why: "leap year: 29 Feb 2028 is a Tuesday",
        received_at: datetime!(2028-01-31 09:15 +01:00), received: date!(2028-01-31),
        same_date: date!(2028-02-29), legal_due: date!(2028-02-29), ends_at: datetime!(2028-03-01 00:00 +01:00) },
    Case { why: "Maundy Thursday 2026 rolls over Easter to the Tuesday",
        received_at: datetime!(2026-03-02 10:00 +01:00), received: date!(2026-03-02),
        same_date: date!(2026-04-02), legal_due: date!(2026-04-07), ends_at: datetime!(2026-04-08 00:00 +02:00) },
    Case { why: "Good Friday 2026",
        received_at: datetime!(2026-03-03 10:00 +01:00), received: date!(2026-03-03),
        same_date: date!(2026-04-03), legal_due: date!(2026-04-07), ends_at: datetime!(2026-04-08 00:00 +02:00) },
    Case { why: "Easter Monday 2026",
        received_at: datetime!(2026-03-06 10:00 +01:00), received: date!(2026-03-06),
        same_date: date!(2026-04-06), legal_due: date!(2026-04-07), ends_at: datetime!(2026-04-08 00:00 +02:00) },
    Case { why: "Maundy Thursday 2027 (Easter on 28 March)",
        received_at: datetime!(2027-02-25 14:00 +01:00), received: date!(2027-02-25),
        same_date: date!(2027-03-25), legal_due: date!(2027-03-30), ends_at: datetime!(2027-03-31 00:00 +02:00) },
    Case { why: "17 May 2028, a Wednesday; received on Easter Monday 2028",
        received_at: datetime!(2028-04-17 11:00 +02:00), received: date!(2028-04-17),
        same_date: date!(2028-05-17), legal_due: date!(2028-05-18), ends_at: datetime!(2028-05-19 00:00 +02:00) },
    Case { why: "Ascension Day 2026 (14 May) rolls to Friday",
        received_at: datetime!(2026-04-14 08:00 +02:00), received: date!(2026-04-14),
        same_date: date!(2026-05-14), legal_due: date!(2026-05-15), ends_at: datetime!(2026-05-16 00:00 +02:00) },
    Case { why: "Whit Monday 2026 (25 May)",
        received_at: datetime!(2026-04-25 08:00 +02:00), received: date!(2026-04-25),
        same_date: date!(2026-05-25), legal_due: date!(2026-05-26), ends_at: datetime!(2026-05-27 00:00 +02:00) },
    Case { why: "Christmas Day 2026 is a Friday: past 26 December and the weekend",
        received_at: datetime!(2026-11-25 16:00 +01:00), received: date!(2026-11-25),
        same_date: date!(2026-12-25), legal_due: date!(2026-12-28), ends_at: datetime!(2026-12-29 00:00 +01:00) },
    Case { why: "Christmas Eve is a working day",
        received_at: datetime!(2026-11-24 16:00 +01:00), received: date!(2026-11-24),
        same_date: date!(2026-12-24), legal_due: date!(2026-12-24), ends_at: datetime!(2026-12-25 00:00 +01:00) },
    Case { why: "1 January 2027 is a Friday",
        received_at: datetime!(2026-12-01 10:00 +01:00), received: date!(2026-12-01),
        same_date: date!(2027-01-01), legal_due: date!(2027-01-04), ends_at: datetime!(2027-01-05 00:00 +01:00) },
    Case { why: "23:30 UTC on 27 Feb is 28 Feb in Oslo",
        received_at: datetime!(2026-02-27 23:30 UTC), received: date!(2026-02-28),
        same_date: date!(2026-03-28), legal_due: date!(2026-03-30), ends_at: datetime!(2026-03-31 00:00 +02:00) },
    Case { why: "22:30 UTC on 27 Feb is still 27 Feb in Oslo",
        received_at: datetime!(2026-02-27 22:30 UTC), received: date!(2026-02-27),
        same_date: date!(2026-03-27), legal_due: date!(2026-03-27), ends_at: datetime!(2026-03-28 00:00 +01:00) },
    Case { why: "summer: 22:30 UTC on 30 June is 1 July in Oslo; 1 Aug 2026 is a Saturday",
        received_at: datetime!(2026-06-30 22:30 UTC), received: date!(2026-07-01),
        same_date: date!(2026-08-01), legal_due: date!(2026-08-03), ends_at: datetime!(2026-08-04 00:00 +02:00) },
    Case { why: "summer: 21:30 UTC on 30 June is still 30 June in Oslo",
        received_at: datetime!(2026-06-30 21:30 UTC), received: date!(2026-06-30),
        same_date: date!(2026-07-30), legal_due: date!(2026-07-30), ends_at: datetime!(2026-07-31 00:00 +02:00) },
    Case { why: "summer time begins 29 March 2026: 00:59 UTC (01:59 CET)",
        received_at: datetime!(2026-03-29 00:59 UTC), received: date!(2026-03-29),
        same_date: date!(2026-04-29), legal_due: date!(2026-04-29), ends_at: datetime!(2026-04-30 00:00 +02:00) },
    Case { why: "summer time begins 29 March 2026: 01:00 UTC (03:00 CEST)",
        received_at: datetime!(2026-03-29 01:00 UTC), received: date!(2026-03-29),
        same_date: date!(2026-04-29), legal_due: date!(2026-04-29), ends_at: datetime!(2026-04-30 00:00 +02:00) },
    Case { why: "the last moment of 28 March 2026 in Oslo",
        received_at: datetime!(2026-03-28 22:59:59.999 UTC), received: date!(2026-03-28),
        same_date: date!(2026-04-28), legal_due: date!(2026-04-28), ends_at: datetime!(2026-04-29 00:00 +02:00) },
    Case { why: "summer time ends 25 October 2026: 00:59 UTC (02:59 CEST)",
        received_at: datetime!(2026-10-25 00:59 UTC), received: date!(2026-10-25),
        same_date: date!(2026-11-25), legal_due: date!(2026-11-25), ends_at: datetime!(2026-11-26 00:00 +01:00) },
    Case { why: "summer time ends 25 October 2026: 01:00 UTC (02:00 CET)",
        received_at: datetime!(2026-10-25 01:00 UTC), received: date!(2026-10-25),
        same_date: date!(2026-11-25), legal_due: date!(2026-11-25), ends_at: datetime!(2026-11-26 00:00 +01:00) },
    Case { why: "23:00 UTC on 25 October 2026 is 26 October in Oslo",
        received_at: datetime!(2026-10-25 23:00 UTC), received: date!(2026-10-26),
        same_date: date!(2026-11-26), legal_due: date!(2026-11-26), ends_at: datetime!(2026-11-27 00:00 +01:00) },
    Case { why: "summer time begins on Easter Sunday 2027: 00:59 UTC",
        received_at: datetime!(2027-03-28 00:59 UTC), received: date!(2027-03-28),
        same_date: date!(2027-04-28), legal_due: date!(2027-04-28), ends_at: datetime!(2027-04-29 00:00 +02:00) },
    Case { why: "summer time begins on Easter Sunday 2027: 01:00 UTC",
        received_at: datetime!(2027-03-28 01:00 UTC), received: date!(2027-03-28),
        same_date: date!(2027-04-28), legal_due: date!(2027-04-28), ends_at: datetime!(2027-04-29 00:00 +02:00) },
    Case { why: "summer time ends 31 October 2027 (00:59 UTC); November has no 31st",
        received_at: datetime!(2027-10-31 00:59 UTC), received: date!(2027-10-31),
        same_date: date!(2027-11-30), legal_due: date!(2027-11-30), ends_at: datetime!(2027-12-01 00:00 +01:00) },
    Case { why: "summer time ends 31 October 2027 (01:00 UTC)",
        received_at: datetime!(2027-10-31 01:00 UTC), received: date!(2027-10-31),
        same_date: date!(2027-11-30), legal_due: date!(2027-11-30), ends_at: datetime!(2027-12-01 00:00 +01:00) },
    Case { why: "due on the Sunday summer time ends: Monday 26 Oct 2026 ends in CET",
        received_at: datetime!(2026-09-25 10:00 +02:00), received: date!(2026-09-25),
        same_date: date!(2026-10-25), legal_due: date!(2026-10-26), ends_at: datetime!(2026-10-27 00:00 +01:00) },
];

#[test]
fn the_table_of_real_dates() {
    for case in CASES {
        let got = deadlines(ms(case.received_at), TargetRule::SameDate).unwrap();
        let expected = Deadlines {
            received: case.received,
            months: 1,
            legal_due: case.legal_due,
            target: case.same_date,
            ends_at_ms: ms(case.ends_at),
        };
        assert_eq!(got, expected, "{}", case.why);
        assert!(holidays::is_working_day(got.legal_due), "{}", case.why);
    }
}

#[test]
fn a_target_some_working_days_before_the_legal_date() {
    let received = ms(datetime!(2026-03-02 10:00 +01:00));
    let target = |days| {
        deadlines(received, TargetRule::WorkingDaysBeforeLegal(days))
            .unwrap()
            .target
    };
    // Legal due Tuesday 7 April 2026; before it: Wednesday 1 April, then Tuesday 31 March.
    assert_eq!(target(0), date!(2026 - 04 - 07));
    assert_eq!(target(1), date!(2026 - 04 - 01));
    assert_eq!(target(2), date!(2026 - 03 - 31));
    assert_eq!(target(5), date!(2026 - 03 - 26));
    // Never before the first day of the period.
    assert_eq!(target(400), date!(2026 - 03 - 03));
    assert_eq!(target(u32::MAX), date!(2026 - 03 - 03));
}

#[test]
fn an_extension_on_the_last_day_of_the_first_period_is_allowed() {
    let first = deadlines(ms(datetime!(2026-03-02 10:00 +01:00)), TargetRule::SameDate).unwrap();
    let last_moment = ms(datetime!(2026-04-07 23:59:59.999 +02:00));
    let two = extend(
        &first,
        2,
        "many requests",
        last_moment,
        TargetRule::SameDate,
    )
    .unwrap();
    // 2 March + 3 months = 2 June 2026, a Tuesday.
    assert_eq!(
        two,
        Deadlines {
            received: date!(2026 - 03 - 02),
            months: 3,
            legal_due: date!(2026 - 06 - 02),
            target: date!(2026 - 06 - 02),
            ends_at_ms: ms(datetime!(2026-06-03 00:00 +02:00)),
        }
    );
    // 2 May 2026 is a Saturday.
    let one = extend(&first, 1, "complex", last_moment, TargetRule::SameDate).unwrap();
    assert_eq!(
        (one.months, one.target, one.legal_due),
        (2, date!(2026 - 05 - 02), date!(2026 - 05 - 04))
    );
    // On Easter Monday the first period (rolled to 7 April) still runs.
    let easter_monday = ms(datetime!(2026-04-06 12:00 +02:00));
    assert!(extend(&first, 2, "complex", easter_monday, TargetRule::SameDate).is_ok());
}

#[test]
fn an_extension_after_the_first_period_is_refused() {
    let first = deadlines(ms(datetime!(2026-03-02 10:00 +01:00)), TargetRule::SameDate).unwrap();
    for now in [
        datetime!(2026-04-08 00:00 +02:00),
        datetime!(2026-04-08 12:00 +02:00),
        datetime!(2026-06-01 12:00 +02:00),
    ] {
        assert_eq!(
            extend(&first, 2, "complex", ms(now), TargetRule::SameDate),
            Err(ExtensionError::AfterFirstPeriod),
            "{now}"
        );
    }
}

#[test]
fn an_extension_is_counted_from_receipt_not_from_the_first_due_date() {
    // First due Monday 2 March 2026 (28 Feb was a Saturday). Three months from 31 January is
    // 30 April 2026 (a Thursday), not 2 May + roll-forward = 4 May.
    let first = deadlines(ms(datetime!(2026-01-31 12:00 +01:00)), TargetRule::SameDate).unwrap();
    let now = ms(datetime!(2026-02-10 12:00 +01:00));
    let extended = extend(&first, 2, "many requests", now, TargetRule::SameDate).unwrap();
    assert_eq!(extended.legal_due, date!(2026 - 04 - 30));
}

#[test]
fn extension_refusals() {
    let first = deadlines(ms(datetime!(2026-03-02 10:00 +01:00)), TargetRule::SameDate).unwrap();
    let now = ms(datetime!(2026-03-20 10:00 +01:00));
    let rule = TargetRule::SameDate;
    assert_eq!(
        extend(&first, 0, "x", now, rule),
        Err(ExtensionError::NoMonths)
    );
    assert_eq!(
        extend(&first, 3, "x", now, rule),
        Err(ExtensionError::TooLong(3))
    );
    assert_eq!(
        extend(&first, 2, "", now, rule),
        Err(ExtensionError::NoReason)
    );
    assert_eq!(
        extend(&first, 2, " \n\t", now, rule),
        Err(ExtensionError::NoReason)
    );
    let extended = extend(&first, 1, "complex", now, rule).unwrap();
    assert_eq!(
        extend(&extended, 1, "more", now, rule),
        Err(ExtensionError::AlreadyExtended)
    );
}

#[test]
fn unverified_requests_lapse_after_seven_days() {
    let cases = [
        // Received Monday 2 March 2026: the 7th day is 9 March; lapses as 10 March begins.
        (
            datetime!(2026-03-02 10:00 +01:00),
            datetime!(2026-03-10 00:00 +01:00),
        ),
        (
            datetime!(2026-03-02 23:59:59.999 +01:00),
            datetime!(2026-03-10 00:00 +01:00),
        ),
        // 23:30 UTC on 1 March is 2 March in Oslo.
        (
            datetime!(2026-03-01 23:30 UTC),
            datetime!(2026-03-10 00:00 +01:00),
        ),
        // Across the start of summer time: the 7th day is 1 April.
        (
            datetime!(2026-03-25 12:00 +01:00),
            datetime!(2026-04-02 00:00 +02:00),
        ),
        // The 7th day is Maundy Thursday: no roll-forward for Kapsel's own rule.
        (
            datetime!(2026-03-26 12:00 +01:00),
            datetime!(2026-04-03 00:00 +02:00),
        ),
    ];
    for (received, lapses) in cases {
        assert_eq!(lapses_at_ms(ms(received)), Ok(ms(lapses)), "{received}");
    }
}

#[test]
fn status_counts_calendar_days_to_the_legal_date() {
    // Due Tuesday 7 April 2026.
    let d = deadlines(ms(datetime!(2026-03-02 10:00 +01:00)), TargetRule::SameDate).unwrap();
    let cases = [
        (
            datetime!(2026-03-02 12:00 +01:00),
            DueStatus::OnTrack { days_left: 36 },
        ),
        (
            datetime!(2026-03-30 23:59 +02:00),
            DueStatus::OnTrack { days_left: 8 },
        ),
        (
            datetime!(2026-03-31 00:00 +02:00),
            DueStatus::DueThisWeek { days_left: 7 },
        ),
        (
            datetime!(2026-04-06 12:00 +02:00),
            DueStatus::DueThisWeek { days_left: 1 },
        ),
        (datetime!(2026-04-07 00:00 +02:00), DueStatus::DueToday),
        (
            datetime!(2026-04-07 23:59:59.999 +02:00),
            DueStatus::DueToday,
        ),
        (
            datetime!(2026-04-08 00:00 +02:00),
            DueStatus::Overdue { days_late: 1 },
        ),
        (
            datetime!(2026-04-17 09:00 +02:00),
            DueStatus::Overdue { days_late: 10 },
        ),
    ];
    for (now, expected) in cases {
        assert_eq!(status(&d, ms(now)), Ok(expected), "{now}");
    }
}

/// Any instant from 2000 to 2100.
fn any_instant() -> impl Strategy<Value = Millis> {
    946_684_800_000i64..4_102_444_800_000
}

proptest! {
    #[test]
    fn legal_due_is_a_working_day(at in any_instant()) {
        let d = deadlines(at, TargetRule::SameDate).unwrap();
        prop_assert!(holidays::is_working_day(d.legal_due));
        prop_assert!(!matches!(d.legal_due.weekday(), Weekday::Saturday | Weekday::Sunday));
    }

    #[test]
    fn the_target_is_inside_the_period(at in any_instant(), days in 0u32..40) {
        for rule in [TargetRule::SameDate, TargetRule::WorkingDaysBeforeLegal(days)] {
            let d = deadlines(at, rule).unwrap();
            prop_assert!(d.received < d.target && d.target <= d.legal_due, "{:?}", d);
        }
    }

    #[test]
    fn the_roll_forward_is_at_most_five_days(at in any_instant()) {
        // The longest run of non-working days is Maundy Thursday to Easter Monday (five), so a
        // period ending on Maundy Thursday ends on the Tuesday, five days later.
        let d = deadlines(at, TargetRule::SameDate).unwrap();
        let rolled = (d.legal_due - d.target).whole_days();
        prop_assert!((0..=5).contains(&rolled), "{:?}", d);
    }

    #[test]
    fn legal_due_is_in_the_next_month_or_rolled_into_the_one_after(at in any_instant()) {
        let d = deadlines(at, TargetRule::SameDate).unwrap();
        prop_assert!(d.legal_due > d.received);
        let months = month_index(d.legal_due) - month_index(d.received);
        let rolled = d.legal_due != d.target;
        prop_assert!(months == 1 || (months == 2 && rolled), "{:?}", d);
    }

    #[test]
    fn a_later_receipt_is_never_due_earlier(at in any_instant(), later in 0i64..5_000_000_000) {
        let first = deadlines(at, TargetRule::SameDate).unwrap();
        let second = deadlines(at + later, TargetRule::SameDate).unwrap();
        prop_assert!(first.legal_due <= second.legal_due, "{:?} {:?}", first, second);
    }

    #[test]
    fn the_period_ends_when_the_day_after_legal_due_begins(at in any_instant()) {
        let d = deadlines(at, TargetRule::SameDate).unwrap();
        prop_assert_eq!(calendar::oslo_date_of(d.ends_at_ms), d.legal_due.next_day());
        prop_assert_eq!(calendar::oslo_date_of(d.ends_at_ms - 1), Some(d.legal_due));
        prop_assert!(d.ends_at_ms > at);
        prop_assert_eq!(status(&d, d.ends_at_ms - 1), Ok(DueStatus::DueToday));
        prop_assert_eq!(status(&d, d.ends_at_ms), Ok(DueStatus::Overdue { days_late: 1 }));
    }

    #[test]
    fn extensions_inside_the_first_period_add_months_from_receipt(
        at in any_instant(),
        months in 1u32..=2,
        per_mille in 0i64..1000,
    ) {
        let first = deadlines(at, TargetRule::SameDate).unwrap();
        let now = at + (first.ends_at_ms - at) * per_mille / 1000;
        let extended = extend(&first, months, "complex", now, TargetRule::SameDate).unwrap();
        prop_assert_eq!(extended.months, 1 + months);
        prop_assert_eq!(extended.received, first.received);
        prop_assert!(extended.legal_due > first.legal_due);
        prop_assert!(holidays::is_working_day(extended.legal_due));
        let span = month_index(extended.legal_due) - month_index(first.received);
        let total = 1 + i32::try_from(months).unwrap();
        prop_assert!(span == total || span == total + 1, "{:?}", extended);
        prop_assert_eq!(
            extend(&first, months, "complex", first.ends_at_ms, TargetRule::SameDate),
            Err(ExtensionError::AfterFirstPeriod)
        );
    }

    #[test]
    fn a_request_lapses_when_the_eighth_day_begins(at in any_instant()) {
        let lapses = lapses_at_ms(at).unwrap();
        let received = calendar::oslo_date_of(at).unwrap();
        prop_assert_eq!(calendar::oslo_date_of(lapses), calendar::add_days(received, 8));
        prop_assert_eq!(calendar::oslo_date_of(lapses - 1), calendar::add_days(received, 7));
    }
}
