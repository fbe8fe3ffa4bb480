//! `[ledger]`: how long this installation keeps consent records as proof once nobody relies on
//! them (`kapsel ledger prune`; the rule is `kapsel_core::consent::reliance`, the reference
//! docs/ledger.md). The proof period is a length of time as the privacy file writes one
//! (`3 years`, `36 months`); the default is the general limitation period of foreldelsesloven.

use kapsel_core::consent::reliance::DEFAULT_PROOF_PERIOD;
use kapsel_core::privacy::duration::Duration;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerSettings {
    /// How long a record is kept after it was superseded or expired.
    pub proof_period: String,
}

impl Default for LedgerSettings {
    fn default() -> LedgerSettings {
        LedgerSettings {
            proof_period: DEFAULT_PROOF_PERIOD.to_owned(),
        }
    }
}

impl LedgerSettings {
    /// The proof period, or an error naming the key.
    pub fn proof_period(&self) -> anyhow::Result<Duration> {
        match Duration::parse(&self.proof_period) {
            Ok(span @ Duration::Span { .. }) => Ok(span),
            Ok(_) => anyhow::bail!(
                "[ledger] proof_period: {:?} is not a length of time; write e.g. \"3 years\"",
                self.proof_period
            ),
            Err(error) => anyhow::bail!("[ledger] proof_period: {error}"),
        }
    }

    pub fn check(&self) -> anyhow::Result<()> {
        self.proof_period().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proof_period_is_three_years_by_default_and_must_be_a_length() {
        assert_eq!(
            LedgerSettings::default().proof_period().unwrap(),
            Duration::parse("3 years").unwrap()
        );
        for bad in ["session", "persistent", "3 eons", "0 years", ""] {
            let settings = LedgerSettings {
                proof_period: bad.into(),
            };
            let error = settings.check().unwrap_err().to_string();
            assert!(
                error.starts_with("[ledger] proof_period"),
                "{bad:?}: {error}"
            );
        }
    }
}
