//! The signed acknowledgement of a gap (`kapsel-gap/v1`): records cut from a chain's end, found
//! by the writer's start-up check and acknowledged by `kapsel ledger repair`. The missing
//! records stay missing; the note states where the records end, which sequence numbers are
//! gone, and the head the writer had recorded, so the writer can resume after it without
//! reusing a number and every verifier can walk across it (docs/ledger.md).
//!
//! ```text
//! kapsel-gap/v1
//! <origin>
//! found-head <A> <hash of record A, hex; zeros for none>
//! missing <A+1> <B>
//! recorded-head <B> <hash of record B, hex>
//! time-ms <when>
//! ```

use super::SigningKey;
use super::note::{NoteError, open_note, sign_note, split_note};
use crate::consent::chain::Gap;

const GAP_VERSION: &str = "kapsel-gap/v1";

/// What a gap acknowledgement states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapNote {
    pub origin: String,
    /// Where the records end now: seq and hash (64 hex; zeros for none).
    pub found_seq: i64,
    pub found_hash: String,
    /// The head the writer had recorded: seq and hash.
    pub recorded_seq: i64,
    pub recorded_hash: String,
    pub time_ms: i64,
}

impl GapNote {
    pub fn body(&self) -> String {
        format!(
            "{GAP_VERSION}\n{}\nfound-head {} {}\nmissing {} {}\nrecorded-head {} {}\ntime-ms {}\n",
            self.origin,
            self.found_seq,
            self.found_hash,
            self.found_seq + 1,
            self.recorded_seq,
            self.recorded_seq,
            self.recorded_hash,
            self.time_ms
        )
    }

    /// Reads a note's text.
    pub fn parse_body(body: &str) -> Result<GapNote, NoteError> {
        let bad = |what: &str| NoteError::Malformed(format!("{GAP_VERSION}: {what}"));
        let lines: Vec<&str> = body.lines().collect();
        let [version, origin, found, missing, recorded, time] = lines.as_slice() else {
            return Err(bad("not six lines"));
        };
        if *version != GAP_VERSION {
            return Err(bad("wrong first line"));
        }
        let pair = |line: &str, name: &str| -> Result<(i64, String), NoteError> {
            let (seq, hash) = line
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
                .and_then(|rest| rest.split_once(' '))
                .ok_or_else(|| bad(&format!("no {name} line")))?;
            let seq = seq
                .parse()
                .map_err(|_| bad(&format!("{name}: not a number")))?;
            Ok((seq, hash.to_owned()))
        };
        let (found_seq, found_hash) = pair(found, "found-head")?;
        let (recorded_seq, recorded_hash) = pair(recorded, "recorded-head")?;
        let time_ms = time
            .strip_prefix("time-ms ")
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| bad("no time-ms line"))?;
        let note = GapNote {
            origin: (*origin).to_owned(),
            found_seq,
            found_hash,
            recorded_seq,
            recorded_hash,
            time_ms,
        };
        if recorded_seq <= found_seq
            || *missing != format!("missing {} {recorded_seq}", found_seq + 1)
        {
            return Err(bad("the missing range does not lie between the two heads"));
        }
        Ok(note)
    }

    /// Reads a note without checking its signature: for the writer, which only needs to know
    /// where to resume. Every verifier opens it with [`GapNote::open`] instead.
    pub fn read_unverified(note: &str) -> Result<GapNote, NoteError> {
        GapNote::parse_body(split_note(note)?.0)
    }

    /// Verifies `note` with `keys` and reads it.
    pub fn open(note: &str, keys: &[super::PublicKey]) -> Result<GapNote, NoteError> {
        GapNote::parse_body(open_note(note, keys)?.0)
    }

    pub fn sign(&self, key: &SigningKey) -> String {
        sign_note(&self.body(), key)
    }

    /// The gap the chain verifier may walk across.
    pub fn gap(&self) -> Gap {
        Gap {
            first_missing: self.found_seq + 1,
            last_missing: self.recorded_seq,
            before_hash: self.found_hash.clone(),
            last_missing_hash: self.recorded_hash.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::tests::test_key;

    fn note() -> GapNote {
        GapNote {
            origin: "kapsel.test/chain-a".into(),
            found_seq: 3,
            found_hash: "ab".repeat(32),
            recorded_seq: 7,
            recorded_hash: "cd".repeat(32),
            time_ms: 1_767_225_600_000,
        }
    }

    #[test]
    fn a_signed_note_opens_with_its_key_and_not_with_another() {
        let key = test_key();
        let signed = note().sign(&key);
        assert_eq!(
            GapNote::open(&signed, &[key.public().clone()]).unwrap(),
            note()
        );
        let other = SigningKey::from_seed("kapsel.test", [9; 32]).unwrap();
        assert!(GapNote::open(&signed, &[other.public().clone()]).is_err());
        let edited = signed.replace("missing 4 7", "missing 4 8");
        assert!(GapNote::open(&edited, &[key.public().clone()]).is_err());
        assert_eq!(
            GapNote::read_unverified(&signed)
                .unwrap()
                .gap()
                .first_missing,
            4
        );
    }

    #[test]
    fn a_missing_range_that_disagrees_with_the_heads_is_refused() {
        let body = note().body().replace("missing 4 7", "missing 5 7");
        assert!(GapNote::parse_body(&body).is_err());
        let backwards = GapNote {
            recorded_seq: 3,
            ..note()
        };
        assert!(GapNote::parse_body(&backwards.body()).is_err());
    }
}
