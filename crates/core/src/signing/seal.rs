//! The signed seal of a removed prefix (`kapsel-seal/v1`): `kapsel ledger prune` removed the
//! records seq 1..=N of a chain that were no longer relied on and past their proof period, and
//! states in this note which chain, how many sequence numbers (N), the hash record N had (what
//! record N+1 links to), the proof period it pruned by and when. Seals are appended, never
//! replaced; a later prune writes a new seal with a larger N. Every verifier starts the chain
//! from the newest seal whose signature verifies (docs/ledger.md).
//!
//! ```text
//! kapsel-seal/v1
//! <origin>
//! removed 1 <N>
//! head <N> <hash of record N, 64 hex>
//! proof-period <duration, e.g. 3 years>
//! time-ms <when>
//! ```

use super::SigningKey;
use super::note::{NoteError, open_note, sign_note, split_note};
use crate::consent::chain::SealedPrefix;

const SEAL_VERSION: &str = "kapsel-seal/v1";

/// What a seal states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealNote {
    pub origin: String,
    /// The seq of the last removed record: seq 1..=size are gone.
    pub size: i64,
    /// The hash record `size` had, 64 lower-case hex digits.
    pub head_hash: String,
    /// The proof period the prune applied, as settings write it (`3 years`).
    pub proof_period: String,
    pub time_ms: i64,
}

impl SealNote {
    pub fn body(&self) -> String {
        format!(
            "{SEAL_VERSION}\n{}\nremoved 1 {}\nhead {} {}\nproof-period {}\ntime-ms {}\n",
            self.origin, self.size, self.size, self.head_hash, self.proof_period, self.time_ms
        )
    }

    /// Reads a seal's text.
    pub fn parse_body(body: &str) -> Result<SealNote, NoteError> {
        let bad = |what: &str| NoteError::Malformed(format!("{SEAL_VERSION}: {what}"));
        let lines: Vec<&str> = body.lines().collect();
        let [version, origin, removed, head, period, time] = lines.as_slice() else {
            return Err(bad("not six lines"));
        };
        if *version != SEAL_VERSION {
            return Err(bad("wrong first line"));
        }
        let (size, head_hash) = head
            .strip_prefix("head ")
            .and_then(|rest| rest.split_once(' '))
            .ok_or_else(|| bad("no head line"))?;
        let size: i64 = size
            .parse()
            .ok()
            .filter(|size| *size >= 1)
            .ok_or_else(|| bad("head: not a positive number"))?;
        let hex_ok = head_hash.len() == 64
            && head_hash
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !hex_ok {
            return Err(bad("head: not 64 lower-case hex digits"));
        }
        if *removed != format!("removed 1 {size}") {
            return Err(bad("the removed range does not end at the head"));
        }
        let proof_period = period
            .strip_prefix("proof-period ")
            .ok_or_else(|| bad("no proof-period line"))?;
        let time_ms = time
            .strip_prefix("time-ms ")
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| bad("no time-ms line"))?;
        Ok(SealNote {
            origin: (*origin).to_owned(),
            size,
            head_hash: head_hash.to_owned(),
            proof_period: proof_period.to_owned(),
            time_ms,
        })
    }

    /// Reads a note without checking its signature: for `repair`, which only needs to know
    /// where the records start. Every verifier opens it with [`SealNote::open`] instead.
    pub fn read_unverified(note: &str) -> Result<SealNote, NoteError> {
        SealNote::parse_body(split_note(note)?.0)
    }

    /// Verifies `note` with `keys` and reads it; also the id (8 hex) of the key that signed it.
    pub fn open(note: &str, keys: &[super::PublicKey]) -> Result<(SealNote, String), NoteError> {
        let (body, key) = open_note(note, keys)?;
        Ok((SealNote::parse_body(body)?, key.id_hex()))
    }

    pub fn sign(&self, key: &SigningKey) -> String {
        sign_note(&self.body(), key)
    }

    /// Where the chain verifier starts.
    pub fn sealed(&self) -> SealedPrefix {
        SealedPrefix {
            size: self.size,
            head_hash: self.head_hash.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::tests::test_key;

    fn note() -> SealNote {
        SealNote {
            origin: "kapsel.test/ledger/chain-a".into(),
            size: 41,
            head_hash: "ab".repeat(32),
            proof_period: "3 years".into(),
            time_ms: 1_767_225_600_000,
        }
    }

    #[test]
    fn a_seal_is_exactly_the_documented_text() {
        assert_eq!(
            note().body(),
            format!(
                "kapsel-seal/v1\nkapsel.test/ledger/chain-a\nremoved 1 41\nhead 41 {}\n\
                 proof-period 3 years\ntime-ms 1767225600000\n",
                "ab".repeat(32)
            )
        );
    }

    #[test]
    fn a_signed_seal_opens_with_its_key_and_not_with_another_or_edited() {
        let key = test_key();
        let signed = note().sign(&key);
        let keys = [key.public().clone()];
        assert_eq!(
            SealNote::open(&signed, &keys).unwrap(),
            (note(), key.public().id_hex())
        );
        let other = SigningKey::from_seed("kapsel.test", [9; 32]).unwrap();
        assert!(SealNote::open(&signed, &[other.public().clone()]).is_err());
        let edited = signed.replace("removed 1 41\nhead 41", "removed 1 42\nhead 42");
        assert!(SealNote::open(&edited, &keys).is_err());
        assert_eq!(
            SealNote::read_unverified(&signed).unwrap().sealed().size,
            41
        );
    }

    #[test]
    fn a_range_that_disagrees_with_the_head_or_a_bad_hash_is_refused() {
        let body = note().body().replace("removed 1 41", "removed 2 41");
        assert!(SealNote::parse_body(&body).is_err());
        let short = SealNote {
            head_hash: "ab".into(),
            ..note()
        };
        assert!(SealNote::parse_body(&short.body()).is_err());
        let empty = SealNote { size: 0, ..note() };
        assert!(SealNote::parse_body(&empty.body()).is_err());
    }
}
