//! When a recorded choice expires and the visitor is asked again: the privacy file's
//! `accept_duration` for a choice that grants anything, `reject_duration` for a refusal.
//! Months and years are calendar months and years in UTC (31 January + 1 month = 28/29 February).

use crate::calendar;

use super::{ConsentAction, ConsentChoice};
use crate::clock::Millis;
use crate::privacy::ConsentSettings;
use crate::privacy::duration::{Duration, DurationUnit};

/// Why an expiry could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpiryError {
    #[error("consent.{field}: {reason}")]
    BadDuration { field: &'static str, reason: String },
    #[error("the expiry falls outside the representable time range")]
    OutOfRange,
}

/// The two consent lifetimes of a privacy file, parsed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub accept: Duration,
    pub reject: Duration,
}

impl Lifetimes {
    pub fn from_settings(settings: &ConsentSettings) -> Result<Lifetimes, ExpiryError> {
        Ok(Lifetimes {
            accept: parse_span("accept_duration", &settings.accept_duration)?,
            reject: parse_span("reject_duration", &settings.reject_duration)?,
        })
    }

    /// The lifetime of a choice that grants something beyond strictly necessary (`grants`),
    /// or of one that does not: the documented rule. Only the privacy file knows which
    /// services are necessary; see [`SiteConsent::grants_beyond_necessary`](super::SiteConsent::grants_beyond_necessary).
    pub fn for_grants(&self, grants: bool) -> Duration {
        if grants { self.accept } else { self.reject }
    }

    /// The lifetime that applies to `choice` when the privacy file is not at hand: by its
    /// action, and for the others by whether anything at all is granted (a necessary service
    /// counts as a grant here; the consent API decides with [`Lifetimes::for_grants`]).
    pub fn for_choice(&self, action: ConsentAction, choice: &ConsentChoice) -> Duration {
        let grants = match action {
            ConsentAction::AcceptAll => true,
            ConsentAction::RejectAll | ConsentAction::Withdraw => false,
            ConsentAction::Custom | ConsentAction::Gpc | ConsentAction::ExpiredRenewal => {
                choice.grants_anything()
            }
        };
        if grants { self.accept } else { self.reject }
    }

    /// When `choice`, recorded at `now`, expires.
    pub fn expires_at(
        &self,
        action: ConsentAction,
        choice: &ConsentChoice,
        now: Millis,
    ) -> Result<Millis, ExpiryError> {
        add(now, self.for_choice(action, choice))
    }
}

/// When `choice` (made with `action`, recorded at `now`) expires under `settings`.
pub fn expires_at(
    action: ConsentAction,
    choice: &ConsentChoice,
    now: Millis,
    settings: &ConsentSettings,
) -> Result<Millis, ExpiryError> {
    Lifetimes::from_settings(settings)?.expires_at(action, choice, now)
}

fn parse_span(field: &'static str, input: &str) -> Result<Duration, ExpiryError> {
    match Duration::parse(input) {
        Ok(span @ Duration::Span { .. }) => Ok(span),
        Ok(_) => Err(ExpiryError::BadDuration {
            field,
            reason: format!("{input:?} is not a length of time; write e.g. \"12 months\""),
        }),
        Err(err) => Err(ExpiryError::BadDuration {
            field,
            reason: err.to_string(),
        }),
    }
}

/// `start` plus `duration`, with calendar months and years.
pub fn add(start: Millis, duration: Duration) -> Result<Millis, ExpiryError> {
    let Duration::Span { count, unit } = duration else {
        return Err(ExpiryError::OutOfRange);
    };
    let months = match unit {
        DurationUnit::Months => i64::from(count),
        DurationUnit::Years => i64::from(count) * 12,
        _ => {
            return unit
                .millis()
                .checked_mul(i64::from(count))
                .and_then(|span| start.checked_add(span))
                .ok_or(ExpiryError::OutOfRange);
        }
    };
    add_months(start, months)
}

fn add_months(start: Millis, months: i64) -> Result<Millis, ExpiryError> {
    calendar::add_months_to_instant(start, months).ok_or(ExpiryError::OutOfRange)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Lang;
    use time::OffsetDateTime;
    use time::macros::datetime;

    fn ms(at: OffsetDateTime) -> Millis {
        (at.unix_timestamp_nanos() / 1_000_000) as Millis
    }

    fn choice(action: ConsentAction, analytics: bool) -> ConsentChoice {
        ConsentChoice {
            site: "www".into(),
            revision: "r".into(),
            language: Lang::new("en"),
            action,
            categories: [("necessary".into(), true), ("analytics".into(), analytics)].into(),
            services: Default::default(),
            previous_receipt: None,
            gpc: false,
        }
    }

    #[test]
    fn acceptance_lasts_twelve_calendar_months_and_refusal_six_by_default() {
        let settings = ConsentSettings::default();
        let now = ms(datetime!(2026-03-15 10:30:00 UTC));
        let accept = choice(ConsentAction::AcceptAll, true);
        let reject = choice(ConsentAction::RejectAll, false);
        assert_eq!(
            expires_at(accept.action, &accept, now, &settings),
            Ok(ms(datetime!(2027-03-15 10:30:00 UTC)))
        );
        assert_eq!(
            expires_at(reject.action, &reject, now, &settings),
            Ok(ms(datetime!(2026-09-15 10:30:00 UTC)))
        );
    }

    #[test]
    fn custom_choice_that_grants_only_necessary_counts_as_refusal() {
        let settings = ConsentSettings::default();
        let now = ms(datetime!(2026-01-01 00:00:00 UTC));
        let custom = choice(ConsentAction::Custom, false);
        assert_eq!(
            expires_at(custom.action, &custom, now, &settings),
            Ok(ms(datetime!(2026-07-01 00:00:00 UTC)))
        );
        let custom = choice(ConsentAction::Custom, true);
        assert_eq!(
            expires_at(custom.action, &custom, now, &settings),
            Ok(ms(datetime!(2027-01-01 00:00:00 UTC)))
        );
    }

    #[test]
    fn month_end_is_clamped() {
        let start = ms(datetime!(2027-01-31 12:00:00 UTC));
        let one_month = Duration::parse("1 month").unwrap();
        assert_eq!(
            add(start, one_month),
            Ok(ms(datetime!(2027-02-28 12:00:00 UTC)))
        );
        let days = Duration::parse("2 days").unwrap();
        assert_eq!(add(start, days), Ok(ms(datetime!(2027-02-02 12:00:00 UTC))));
    }

    #[test]
    fn session_or_nonsense_durations_are_named() {
        let settings = ConsentSettings {
            accept_duration: "session".into(),
            ..ConsentSettings::default()
        };
        let err = Lifetimes::from_settings(&settings).unwrap_err();
        assert!(
            err.to_string().starts_with("consent.accept_duration:"),
            "{err}"
        );
        let settings = ConsentSettings {
            reject_duration: "6 moons".into(),
            ..ConsentSettings::default()
        };
        let err = Lifetimes::from_settings(&settings).unwrap_err();
        assert!(
            err.to_string().starts_with("consent.reject_duration:"),
            "{err}"
        );
    }
}
