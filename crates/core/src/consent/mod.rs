//! Consent records: what a visitor chose, the record the ledger keeps of it, the receipt the
//! visitor gets back, and the hash chain that makes the ledger tamper-evident.
//!
//! Pure: the caller supplies time, randomness and the chain position. Storage and the group-commit
//! writer live in `kapsel-store`; HTTP in `kapsel-server`.

pub mod chain;
pub mod coherence;
pub mod expiry;
pub mod hash;
pub mod ip;
pub mod proof;
pub mod reliance;
pub mod ua;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::text::Lang;

pub use chain::{ChainBreak, ChainSummary};
pub use coherence::{Contradiction, SiteConsent};
pub use expiry::{ExpiryError, Lifetimes, expires_at};

/// The `prev_hash` of the first record in every chain: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What the visitor did in the banner or preference centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentAction {
    AcceptAll,
    RejectAll,
    Custom,
    Withdraw,
    Gpc,
    ExpiredRenewal,
}

impl ConsentAction {
    pub const ALL: [ConsentAction; 6] = [
        ConsentAction::AcceptAll,
        ConsentAction::RejectAll,
        ConsentAction::Custom,
        ConsentAction::Withdraw,
        ConsentAction::Gpc,
        ConsentAction::ExpiredRenewal,
    ];

    /// The wire and storage name (`accept_all`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentAction::AcceptAll => "accept_all",
            ConsentAction::RejectAll => "reject_all",
            ConsentAction::Custom => "custom",
            ConsentAction::Withdraw => "withdraw",
            ConsentAction::Gpc => "gpc",
            ConsentAction::ExpiredRenewal => "expired_renewal",
        }
    }

    /// Parses the wire and storage name.
    pub fn parse(name: &str) -> Option<ConsentAction> {
        ConsentAction::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl fmt::Display for ConsentAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the visitor chose, as validated by the server against the privacy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentChoice {
    pub site: String,
    /// The site revision the visitor was shown.
    pub revision: String,
    pub language: Lang,
    pub action: ConsentAction,
    /// Category id → granted.
    #[serde(default)]
    pub categories: BTreeMap<String, bool>,
    /// Service id → granted.
    #[serde(default)]
    pub services: BTreeMap<String, bool>,
    /// The receipt this choice replaces (a change of mind or a withdrawal names the earlier one).
    #[serde(default)]
    pub previous_receipt: Option<String>,
    /// Whether the browser sent Global Privacy Control.
    #[serde(default)]
    pub gpc: bool,
}

impl ConsentChoice {
    /// True when anything beyond what is strictly necessary was granted.
    pub fn grants_anything(&self) -> bool {
        self.categories
            .iter()
            .any(|(id, granted)| *granted && id != "necessary")
            || self.services.values().any(|granted| *granted)
    }
}

/// What the server keeps about the request besides the choice: minimised at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordContext {
    /// The truncated address (`192.0.2.0/24`, `2001:db8:1::/48`), see [`ip::truncate`].
    pub ip_prefix: Option<String>,
    /// The user-agent family, see [`ua::family`]. Never the full string.
    pub ua_family: String,
}

/// One entry of the consent ledger: append-only, hash-chained per writer chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecord {
    /// The receipt id handed to the visitor (26 characters of Crockford base32, see [`receipt_id`]).
    pub id: String,
    /// The writer chain this record belongs to.
    pub chain_id: String,
    /// Position in the chain, starting at 1.
    pub seq: i64,
    pub recorded_at_ms: Millis,
    pub expires_at_ms: Millis,
    pub choice: ConsentChoice,
    pub context: RecordContext,
    /// `hash` of the record at `seq - 1`, or [`GENESIS_HASH`] for `seq == 1`.
    pub prev_hash: String,
    /// SHA-256 (lower-case hex) of the canonical encoding, see [`hash`].
    pub hash: String,
}

impl ConsentRecord {
    /// The SHA-256 of every field except `hash`, in the canonical encoding of `docs/ledger.md`.
    pub fn compute_hash(&self) -> String {
        hash::record_hash(self)
    }

    /// What the visitor gets back.
    pub fn receipt(&self) -> Receipt {
        Receipt {
            id: self.id.clone(),
            hash: self.hash.clone(),
            revision: self.choice.revision.clone(),
            recorded_at_ms: self.recorded_at_ms,
            expires_at_ms: self.expires_at_ms,
        }
    }
}

/// The answer to a recorded choice: enough to find the record again and check its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub id: String,
    pub hash: String,
    pub revision: String,
    pub recorded_at_ms: Millis,
    pub expires_at_ms: Millis,
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A receipt id from 128 random bits supplied by the caller: 26 characters of Crockford base32.
pub fn receipt_id(random: [u8; 16]) -> String {
    let mut value = u128::from_be_bytes(random);
    let mut out = [b'0'; 26];
    for slot in out.iter_mut().rev() {
        let digit = (value & 31) as usize;
        *slot = CROCKFORD.get(digit).copied().unwrap_or(b'0');
        value >>= 5;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// A time-ordered receipt id: the 48-bit millisecond timestamp `now` followed by 80 of the
/// caller's random bits, as 26 characters of Crockford base32 (the ULID layout). Ids made later
/// sort later, so the ledger's id index grows at its end instead of at random pages, which
/// keeps each group commit small. The id reveals the time of the choice, as the receipt does.
pub fn receipt_id_at(now: Millis, random: [u8; 10]) -> String {
    let mut bytes = [0u8; 16];
    let time = (now.max(0) as u64).to_be_bytes();
    for (slot, byte) in bytes.iter_mut().zip(time.iter().skip(2)) {
        *slot = *byte;
    }
    for (slot, byte) in bytes.iter_mut().skip(6).zip(random) {
        *slot = byte;
    }
    receipt_id(bytes)
}

/// Whether `id` has the shape of a receipt id (26 Crockford base32 characters).
pub fn is_receipt_id(id: &str) -> bool {
    id.len() == 26 && id.bytes().all(|b| CROCKFORD.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_ids_have_26_crockford_chars_and_differ_by_input() {
        let a = receipt_id([0; 16]);
        let b = receipt_id([0xff; 16]);
        assert_eq!(a, "00000000000000000000000000");
        assert_eq!(b.len(), 26);
        assert!(is_receipt_id(&b));
        assert_ne!(receipt_id([1; 16]), receipt_id([2; 16]));
        assert!(!is_receipt_id("0000000000000000000000000I"));
    }

    #[test]
    fn time_ordered_ids_sort_by_time_and_keep_the_shape() {
        let early = receipt_id_at(1_767_225_600_000, [0xff; 10]);
        let later = receipt_id_at(1_767_225_600_001, [0; 10]);
        assert!(early < later, "{early} !< {later}");
        assert!(is_receipt_id(&early) && is_receipt_id(&later));
        assert_ne!(receipt_id_at(5, [1; 10]), receipt_id_at(5, [2; 10]));
    }

    #[test]
    fn action_names_round_trip_through_serde_and_parse() {
        for action in ConsentAction::ALL {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
            assert_eq!(ConsentAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(ConsentAction::parse("expired-renewal"), None);
    }
}
