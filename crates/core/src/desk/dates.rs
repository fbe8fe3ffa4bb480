//! The dates a case is held to, as the desk keeps them beside its state: computed from receipt
//! by [`crate::deadline`] and moved only by an extension. Also the ISO form (`2026-03-02`) the
//! store keeps the dates in, so that both backends and a person reading the table agree.

use time::Date;
use time::macros::format_description;

use crate::calendar;
use crate::clock::Millis;
use crate::deadline::{self, DeadlineError, Deadlines, ExtensionError, TargetRule};

/// A case's deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseDates {
    /// The length of the period in months: 1, or 2–3 once extended.
    pub months: u32,
    /// The last day of the legal period (art. 12(3)), in Europe/Oslo.
    pub legal_due: Date,
    /// The day the desk aims for.
    pub target: Date,
    /// From this instant on the case is overdue.
    pub ends_at_ms: Millis,
    /// From this instant on an unverified case may lapse.
    pub lapses_at_ms: Millis,
}

impl CaseDates {
    /// The dates of a request received at `received_ms`.
    pub fn at_receipt(received_ms: Millis, rule: TargetRule) -> Result<CaseDates, DeadlineError> {
        let first = deadline::deadlines(received_ms, rule)?;
        Ok(CaseDates {
            months: first.months,
            legal_due: first.legal_due,
            target: first.target,
            ends_at_ms: first.ends_at_ms,
            lapses_at_ms: deadline::lapses_at_ms(received_ms)?,
        })
    }

    /// The legal clock's view of these dates, for [`deadline::status`] and [`deadline::extend`];
    /// `None` when `received_ms` is outside the calendar.
    pub fn deadlines(&self, received_ms: Millis) -> Option<Deadlines> {
        Some(Deadlines {
            received: calendar::oslo_date_of(received_ms)?,
            months: self.months,
            legal_due: self.legal_due,
            target: self.target,
            ends_at_ms: self.ends_at_ms,
        })
    }

    /// The dates after extending by `months` at `now_ms`, checked by [`deadline::extend`]:
    /// once, inside the first period, with a reason.
    pub fn extended(
        &self,
        received_ms: Millis,
        months: u32,
        reason: &str,
        now_ms: Millis,
        rule: TargetRule,
    ) -> Result<CaseDates, ExtensionError> {
        let current = self
            .deadlines(received_ms)
            .ok_or(ExtensionError::OutOfRange)?;
        let longer = deadline::extend(&current, months, reason, now_ms, rule)?;
        Ok(CaseDates {
            months: longer.months,
            legal_due: longer.legal_due,
            target: longer.target,
            ends_at_ms: longer.ends_at_ms,
            lapses_at_ms: self.lapses_at_ms,
        })
    }
}

/// `2026-03-02`.
pub fn iso_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// The date written by [`iso_date`], or `None`.
pub fn parse_iso_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    fn ms(at: time::OffsetDateTime) -> Millis {
        i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap()
    }

    #[test]
    fn dates_at_receipt_and_after_an_extension() {
        // Received Monday 2 March 2026: 2 April is Maundy Thursday, so the legal due rolls
        // over Easter to Tuesday 7 April; the target stays on 2 April.
        let received = ms(datetime!(2026-03-02 10:00 +01:00));
        let dates = CaseDates::at_receipt(received, TargetRule::SameDate).unwrap();
        assert_eq!(
            (dates.months, dates.legal_due, dates.target),
            (1, date!(2026 - 04 - 07), date!(2026 - 04 - 02))
        );
        assert_eq!(dates.lapses_at_ms, ms(datetime!(2026-03-10 00:00 +01:00)));

        let later = ms(datetime!(2026-03-20 12:00 +01:00));
        let longer = dates
            .extended(received, 2, "many systems", later, TargetRule::SameDate)
            .unwrap();
        // Three months from receipt: Tuesday 2 June 2026, a working day.
        assert_eq!(
            (longer.months, longer.legal_due, longer.target),
            (3, date!(2026 - 06 - 02), date!(2026 - 06 - 02))
        );
        assert_eq!(longer.lapses_at_ms, dates.lapses_at_ms);
        assert_eq!(
            longer.extended(received, 1, "again", later, TargetRule::SameDate),
            Err(ExtensionError::AlreadyExtended)
        );
        assert_eq!(
            dates.extended(received, 1, "late", dates.ends_at_ms, TargetRule::SameDate),
            Err(ExtensionError::AfterFirstPeriod)
        );
    }

    #[test]
    fn iso_dates_round_trip() {
        assert_eq!(iso_date(date!(2026 - 02 - 28)), "2026-02-28");
        assert_eq!(parse_iso_date("2026-02-28"), Some(date!(2026 - 02 - 28)));
        assert_eq!(parse_iso_date("2026-02-30"), None);
        assert_eq!(parse_iso_date("28.02.2026"), None);
    }
}
