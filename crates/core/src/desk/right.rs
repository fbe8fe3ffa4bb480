//! The data-subject rights a request can ask for (GDPR arts. 15–18, 20, 21 and 7(3)), with the
//! stable snake_case names they are stored and sent under.

use std::fmt;
use std::str::FromStr;

/// What a data subject asks the controller to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Right {
    /// Art. 15: a copy of their data and the facts about its processing.
    Access,
    /// Art. 16: correct what is wrong.
    Rectification,
    /// Art. 17: delete it.
    Erasure,
    /// Art. 18: keep it, but stop using it.
    Restriction,
    /// Art. 21: stop a processing based on legitimate interest or direct marketing.
    Objection,
    /// Art. 20: their data in a machine-readable form.
    Portability,
    /// Art. 7(3): withdraw a consent given earlier.
    WithdrawConsent,
}

impl Right {
    pub const ALL: [Right; 7] = [
        Right::Access,
        Right::Rectification,
        Right::Erasure,
        Right::Restriction,
        Right::Objection,
        Right::Portability,
        Right::WithdrawConsent,
    ];

    /// The stored name; part of the case history's hashed text, so never renamed.
    pub fn as_str(self) -> &'static str {
        match self {
            Right::Access => "access",
            Right::Rectification => "rectification",
            Right::Erasure => "erasure",
            Right::Restriction => "restriction",
            Right::Objection => "objection",
            Right::Portability => "portability",
            Right::WithdrawConsent => "withdraw_consent",
        }
    }
}

impl fmt::Display for Right {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`Right::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown right {0:?}; expected one of access, rectification, erasure, restriction, objection, portability, withdraw_consent"
)]
pub struct UnknownRight(pub String);

impl FromStr for Right {
    type Err = UnknownRight;

    fn from_str(name: &str) -> Result<Right, UnknownRight> {
        Right::ALL
            .into_iter()
            .find(|right| right.as_str() == name)
            .ok_or_else(|| UnknownRight(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_right_round_trips_through_its_name() {
        for right in Right::ALL {
            assert_eq!(right.as_str().parse::<Right>(), Ok(right));
        }
        assert_eq!(
            "Erasure".parse::<Right>(),
            Err(UnknownRight("Erasure".into()))
        );
        assert_eq!(Right::WithdrawConsent.to_string(), "withdraw_consent");
    }
}
