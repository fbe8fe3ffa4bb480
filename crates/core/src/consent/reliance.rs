//! How long a consent record must be kept as proof (the rule `kapsel ledger prune` applies).
//!
//! A record is RELIED ON while it is the current state of its receipt and its choice has not
//! expired: from when it was recorded until the earlier of its `expires_at_ms` and the moment a
//! later record of the same receipt's lineage (a change of mind, a withdrawal, a renewal: a
//! record whose lineage is the same first receipt, later by `(recorded_at_ms, chain_id, seq)`)
//! was recorded. After that the PROOF PERIOD must also pass (default 3 years, the general
//! limitation period of the Norwegian limitation act, foreldelsesloven § 2), so that the
//! operator can still show what a visitor chose while a claim about it can be brought. Only
//! then is the record no longer needed. Months and years are calendar months and years in
//! UTC, as for consent expiry.

use crate::clock::Millis;
use crate::privacy::duration::Duration;

use super::expiry::{ExpiryError, add};

/// The proof period when settings name none.
pub const DEFAULT_PROOF_PERIOD: &str = "3 years";

/// When reliance on a record ends: its expiry, or when it was superseded if that came first.
pub fn relied_on_until(expires_at_ms: Millis, superseded_at_ms: Option<Millis>) -> Millis {
    match superseded_at_ms {
        Some(superseded) => superseded.min(expires_at_ms),
        None => expires_at_ms,
    }
}

/// The first instant at which the record is no longer needed: reliance ended and the proof
/// period passed. `proof_period` must be a length of time (`3 years`), not `session`.
pub fn needed_until(
    expires_at_ms: Millis,
    superseded_at_ms: Option<Millis>,
    proof_period: Duration,
) -> Result<Millis, ExpiryError> {
    add(
        relied_on_until(expires_at_ms, superseded_at_ms),
        proof_period,
    )
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;
    use time::macros::datetime;

    use super::*;

    fn ms(at: OffsetDateTime) -> Millis {
        (at.unix_timestamp_nanos() / 1_000_000) as Millis
    }

    #[test]
    fn a_record_is_needed_until_the_proof_period_after_expiry_or_supersession() {
        let three_years = Duration::parse(DEFAULT_PROOF_PERIOD).unwrap();
        let expires = ms(datetime!(2021-01-15 12:00 UTC));
        // Never superseded: three calendar years after it expired.
        assert_eq!(
            needed_until(expires, None, three_years),
            Ok(ms(datetime!(2024-01-15 12:00 UTC)))
        );
        // Superseded before it expired: three years after the later record.
        let changed = ms(datetime!(2020-06-30 08:00 UTC));
        assert_eq!(
            needed_until(expires, Some(changed), three_years),
            Ok(ms(datetime!(2023-06-30 08:00 UTC)))
        );
        // A later record after the expiry changes nothing.
        let renewed = ms(datetime!(2022-02-01 00:00 UTC));
        assert_eq!(relied_on_until(expires, Some(renewed)), expires);
        // A leap day ends on 28 February.
        let leap = ms(datetime!(2024-02-29 00:00 UTC));
        assert_eq!(
            needed_until(leap, None, Duration::parse("1 year").unwrap()),
            Ok(ms(datetime!(2025-02-28 00:00 UTC)))
        );
        assert!(needed_until(expires, None, Duration::Session).is_err());
    }
}
