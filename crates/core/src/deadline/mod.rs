//! The legal clock of a data-subject request: when an answer is due under GDPR art. 12(3),
//! when an extension may still be taken, when an unverified request lapses, and how close a
//! case is to its deadline. Pure date arithmetic; storing cases and sending notices live
//! elsewhere. Every function takes the time as a parameter.
//!
//! # How the period is counted
//!
//! Art. 12(3) GDPR: the controller answers "without undue delay and in any event within one
//! month of receipt of the request"; the period "may be extended by two further months where
//! necessary", and the data subject must be told of the extension, with the reasons, "within
//! one month of receipt of the request". A month is counted as Regulation (EEC, Euratom)
//! No 1182/71 counts periods, as supervisory authorities apply it:
//!
//! - the day of receipt does not count (art. 3(1)); it is the request's date in Europe/Oslo;
//! - a period of months ends at the end of the day in the last month with the same date as the
//!   day of receipt, or of that month's last day when it has no such date (art. 3(2)(c)):
//!   received 31 January, one month ends 28 (or 29) February;
//! - when that day is a Saturday, a Sunday or a public holiday, the period ends at the end of
//!   the next working day (art. 3(4)); public holidays are Norway's, see [`holidays`].
//!
//! An extended period is counted from receipt in the same way (three months in all at most),
//! not from the first due date. Days end at midnight in Europe/Oslo.

pub mod holidays;

#[cfg(test)]
mod tests;

use time::Date;

use crate::calendar;
use crate::clock::Millis;

/// The first period of art. 12(3): one month.
pub const FIRST_PERIOD_MONTHS: u32 = 1;
/// The longest extension of art. 12(3): two further months.
pub const MAX_EXTENSION_MONTHS: u32 = 2;
/// Kapsel's own rule: a request whose identity is not verified lapses after this many days.
pub const LAPSE_DAYS: i64 = 7;
/// A case with at most this many calendar days left is [`DueStatus::DueThisWeek`].
pub const DUE_SOON_DAYS: i64 = 7;

/// The dates of one request's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// The day of receipt in Europe/Oslo; it does not count towards the period.
    pub received: Date,
    /// The length of the period in months: 1, or 2–3 once extended.
    pub months: u32,
    /// The last day of the legal period (after the art. 3(4) roll-forward): a working day.
    pub legal_due: Date,
    /// The day the desk aims for, by the [`TargetRule`]; never after `legal_due`.
    pub target: Date,
    /// The first moment (Oslo) of the day after `legal_due`: from this instant on, the case is
    /// overdue.
    pub ends_at_ms: Millis,
}

/// Which day the desk aims for, inside the legal period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetRule {
    /// The same-date day itself, without the roll-forward over weekends and holidays
    /// (received 2 March → 2 April, even when 2 April is Maundy Thursday).
    #[default]
    SameDate,
    /// This many working days before `legal_due`, but not before the day after receipt.
    WorkingDaysBeforeLegal(u32),
}

/// Why a deadline could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    #[error("the deadline falls outside the representable time range")]
    OutOfRange,
}

/// Why an extension (art. 12(3), second sentence) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    /// A request is extended once, by one or two months; a second decision would change the
    /// date the data subject has already been told.
    #[error("the request has already been extended")]
    AlreadyExtended,
    /// The data subject must be told of the extension within the first month.
    #[error("the first period has ended; the deadline can no longer be extended")]
    AfterFirstPeriod,
    #[error("an extension is one or two months, not zero")]
    NoMonths,
    #[error("an extension is at most two further months, not {0}")]
    TooLong(u32),
    /// The reasons for the delay must be given to the data subject.
    #[error("an extension needs the reason for the delay")]
    NoReason,
    #[error("the extended deadline falls outside the representable time range")]
    OutOfRange,
}

impl From<DeadlineError> for ExtensionError {
    fn from(DeadlineError::OutOfRange: DeadlineError) -> ExtensionError {
        ExtensionError::OutOfRange
    }
}

/// How close a case is to its legal deadline, in calendar days of Europe/Oslo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueStatus {
    /// More than [`DUE_SOON_DAYS`] calendar days left.
    OnTrack { days_left: i64 },
    /// 1 to [`DUE_SOON_DAYS`] calendar days left.
    DueThisWeek { days_left: i64 },
    /// Today (Oslo) is the last day of the period.
    DueToday,
    /// The period has ended; `days_late` is 1 on the day after `legal_due`.
    Overdue { days_late: i64 },
}

/// The one-month deadlines of a request received at `received_ms`.
pub fn deadlines(received_ms: Millis, rule: TargetRule) -> Result<Deadlines, DeadlineError> {
    let received = calendar::oslo_date_of(received_ms).ok_or(DeadlineError::OutOfRange)?;
    period(received, FIRST_PERIOD_MONTHS, rule)
}

/// The deadlines of a period of `months` months from the day of receipt `received`.
pub fn period(received: Date, months: u32, rule: TargetRule) -> Result<Deadlines, DeadlineError> {
    let out = DeadlineError::OutOfRange;
    let same_date = calendar::add_months(received, i64::from(months)).ok_or(out)?;
    let legal_due = holidays::working_day_on_or_after(same_date).ok_or(out)?;
    let target = rule.target(received, same_date, legal_due).ok_or(out)?;
    let ends_at_ms = legal_due
        .next_day()
        .and_then(calendar::oslo_midnight_ms)
        .ok_or(out)?;
    Ok(Deadlines {
        received,
        months,
        legal_due,
        target,
        ends_at_ms,
    })
}

impl TargetRule {
    fn target(self, received: Date, same_date: Date, legal_due: Date) -> Option<Date> {
        match self {
            TargetRule::SameDate => Some(same_date),
            TargetRule::WorkingDaysBeforeLegal(days) => {
                let earliest = received.next_day()?;
                let mut day = legal_due;
                for _ in 0..days {
                    if day <= earliest {
                        break;
                    }
                    day = day.previous_day()?;
                    while !holidays::is_working_day(day) && day > earliest {
                        day = day.previous_day()?;
                    }
                }
                Some(day.max(earliest))
            }
        }
    }
}

/// Extends the first period by `months` (1 or 2) further months, counted from receipt
/// (art. 12(3), second sentence). Allowed once, while the first period runs (`now_ms` before
/// its `ends_at_ms`: the data subject must be told within it), and only with a reason, which
/// the caller keeps and sends. Refusals are checked in the order of [`ExtensionError`].
pub fn extend(
    first: &Deadlines,
    months: u32,
    reason: &str,
    now_ms: Millis,
    rule: TargetRule,
) -> Result<Deadlines, ExtensionError> {
    if first.months != FIRST_PERIOD_MONTHS {
        return Err(ExtensionError::AlreadyExtended);
    }
    if now_ms >= first.ends_at_ms {
        return Err(ExtensionError::AfterFirstPeriod);
    }
    if months == 0 {
        return Err(ExtensionError::NoMonths);
    }
    if months > MAX_EXTENSION_MONTHS {
        return Err(ExtensionError::TooLong(months));
    }
    if reason.trim().is_empty() {
        return Err(ExtensionError::NoReason);
    }
    Ok(period(first.received, FIRST_PERIOD_MONTHS + months, rule)?)
}

/// When a request whose identity has not been verified lapses: Kapsel's own rule, not a legal
/// period, so there is no roll-forward. The day of receipt (Oslo) does not count; the request
/// lapses at the first moment (Oslo) of the day after the [`LAPSE_DAYS`]th day: received on
/// 2 March at any hour, it lapses when 10 March begins.
pub fn lapses_at_ms(received_ms: Millis) -> Result<Millis, DeadlineError> {
    calendar::oslo_date_of(received_ms)
        .and_then(|received| calendar::add_days(received, LAPSE_DAYS + 1))
        .and_then(calendar::oslo_midnight_ms)
        .ok_or(DeadlineError::OutOfRange)
}

/// How close `deadlines` is to its legal end at `now_ms`, in calendar days (not working days)
/// between today's Oslo date and `legal_due`.
pub fn status(deadlines: &Deadlines, now_ms: Millis) -> Result<DueStatus, DeadlineError> {
    let today = calendar::oslo_date_of(now_ms).ok_or(DeadlineError::OutOfRange)?;
    let days_left = (deadlines.legal_due - today).whole_days();
    Ok(if now_ms >= deadlines.ends_at_ms {
        DueStatus::Overdue {
            days_late: -days_left,
        }
    } else if days_left <= 0 {
        DueStatus::DueToday
    } else if days_left <= DUE_SOON_DAYS {
        DueStatus::DueThisWeek { days_left }
    } else {
        DueStatus::OnTrack { days_left }
    })
}
