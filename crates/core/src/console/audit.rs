//! The console's audit log: every action an operator takes (signing in and out, exports,
//! holds, replays, case steps, account changes), as one hash-chained sequence, so that no entry
//! can be changed, removed or inserted unnoticed.
//!
//! Encoding `kapsel-console-audit/v1` (the ledger's canonical text): the version line, then
//! `seq`, `at_ms`, `actor`, `action`, `target`, `prefix` and `prev_hash`, in that order. The
//! first entry's `prev_hash` is the ledger's genesis hash.

use std::fmt;

use crate::Millis;
use crate::canonical::CanonicalText;
use crate::consent::GENESIS_HASH;

pub const ENCODING_VERSION: &str = "kapsel-console-audit/v1";

/// An action to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at_ms: Millis,
    /// `account:<name>`, or `unknown:<name typed>` for a refused sign-in.
    pub actor: String,
    /// What was done: `sign_in`, `sign_in_refused`, `export_ledger`, `hold_add`, …
    pub action: String,
    /// What it was done to (a case id, a hold id, a site); empty when nothing.
    pub target: String,
    /// The truncated client address.
    pub prefix: Option<String>,
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: Millis,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub prefix: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// Seals `new` as the entry after the one whose seq and hash are `after` (`None` for the
    /// first).
    pub fn seal(after: Option<(i64, &str)>, new: NewAuditEntry) -> AuditEntry {
        let (seq, prev_hash) = match after {
            Some((seq, hash)) => (seq + 1, hash.to_owned()),
            None => (1, GENESIS_HASH.to_owned()),
        };
        let mut entry = AuditEntry {
            seq,
            at_ms: new.at_ms,
            actor: new.actor,
            action: new.action,
            target: new.target,
            prefix: new.prefix,
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry_hash(&entry);
        entry
    }
}

/// The entry's canonical text: every field but `hash`.
pub fn canonical_encoding(entry: &AuditEntry) -> String {
    text(entry).into_string()
}

/// SHA-256 (hex) of [`canonical_encoding`].
pub fn entry_hash(entry: &AuditEntry) -> String {
    text(entry).sha256_hex()
}

fn text(entry: &AuditEntry) -> CanonicalText {
    let mut text = CanonicalText::new(ENCODING_VERSION);
    text.int("seq", entry.seq)
        .int("at_ms", entry.at_ms)
        .str("actor", &entry.actor)
        .str("action", &entry.action)
        .str("target", &entry.target)
        .opt("prefix", entry.prefix.as_deref())
        .str("prev_hash", &entry.prev_hash);
    text
}

/// The first place the log is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditBreak {
    HashMismatch {
        seq: i64,
    },
    BrokenLink {
        seq: i64,
    },
    SeqGap {
        expected: i64,
        found: i64,
    },
    /// The log ends elsewhere than the head recorded beside it: entries removed at the end.
    HeadMismatch {
        recorded_seq: i64,
        found_seq: i64,
    },
}

impl fmt::Display for AuditBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuditBreak::HashMismatch { seq } => write!(f, "entry {seq} was changed"),
            AuditBreak::BrokenLink { seq } => {
                write!(f, "entry {seq} does not follow the entry before it")
            }
            AuditBreak::SeqGap { expected, found } => {
                write!(f, "entry {expected} is missing (found {found})")
            }
            AuditBreak::HeadMismatch {
                recorded_seq,
                found_seq,
            } => write!(
                f,
                "the recorded head is entry {recorded_seq}, but the log ends at {found_seq}"
            ),
        }
    }
}

/// Checks `entries` (in seq order, the whole log) against the head recorded beside them;
/// the number of entries when whole.
pub fn verify(
    entries: &[AuditEntry],
    recorded_head: Option<(i64, &str)>,
) -> Result<u64, AuditBreak> {
    let mut prev = GENESIS_HASH.to_owned();
    for (expected, entry) in (1i64..).zip(entries) {
        if entry.seq != expected {
            return Err(AuditBreak::SeqGap {
                expected,
                found: entry.seq,
            });
        }
        if entry.prev_hash != prev {
            return Err(AuditBreak::BrokenLink { seq: entry.seq });
        }
        if entry_hash(entry) != entry.hash {
            return Err(AuditBreak::HashMismatch { seq: entry.seq });
        }
        prev.clone_from(&entry.hash);
    }
    let found = entries.last().map(|e| (e.seq, e.hash.as_str()));
    let found_seq = found.map_or(0, |(seq, _)| seq);
    match recorded_head {
        Some(head) if Some(head) != found => Err(AuditBreak::HeadMismatch {
            recorded_seq: head.0,
            found_seq,
        }),
        None if found.is_some() => Err(AuditBreak::HeadMismatch {
            recorded_seq: 0,
            found_seq,
        }),
        _ => Ok(entries.len() as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: i64) -> Vec<AuditEntry> {
        let mut entries: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let after = entries.last().map(|e| (e.seq, e.hash.as_str()));
            let entry = AuditEntry::seal(
                after,
                NewAuditEntry {
                    at_ms: 1_000 + i,
                    actor: "account:kari".into(),
                    action: "export_ledger".into(),
                    target: "www".into(),
                    prefix: Some("192.0.2.0/24".into()),
                },
            );
            entries.push(entry);
        }
        entries
    }

    fn head(entries: &[AuditEntry]) -> Option<(i64, &str)> {
        entries.last().map(|e| (e.seq, e.hash.as_str()))
    }

    #[test]
    fn a_whole_log_verifies_and_every_kind_of_damage_is_found() {
        let entries = log(4);
        assert_eq!(entries[0].prev_hash, GENESIS_HASH);
        assert_eq!(verify(&entries, head(&entries)), Ok(4));
        assert_eq!(verify(&[], None), Ok(0));

        let mut changed = entries.clone();
        changed[1].target = "intranet".into();
        assert_eq!(
            verify(&changed, head(&entries)),
            Err(AuditBreak::HashMismatch { seq: 2 })
        );

        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(
            verify(&removed, head(&entries)),
            Err(AuditBreak::SeqGap {
                expected: 2,
                found: 3
            })
        );

        let cut = &entries[..3];
        assert_eq!(
            verify(cut, head(&entries)),
            Err(AuditBreak::HeadMismatch {
                recorded_seq: 4,
                found_seq: 3
            })
        );

        let mut relinked = entries.clone();
        relinked[2].prev_hash = entries[0].hash.clone();
        relinked[2].hash = entry_hash(&relinked[2]);
        assert_eq!(
            verify(&relinked, head(&entries)),
            Err(AuditBreak::BrokenLink { seq: 3 })
        );
    }

    #[test]
    fn the_encoding_is_exactly_as_documented() {
        let entry = &log(1)[0];
        let expected = format!(
            "kapsel-console-audit/v1\nseq=1\nat_ms=1000\nactor=12:account:kari\n\
             action=13:export_ledger\ntarget=3:www\nprefix=12:192.0.2.0/24\n\
             prev_hash=64:{GENESIS_HASH}\n"
        );
        assert_eq!(canonical_encoding(entry), expected);
        let without = AuditEntry {
            prefix: None,
            ..entry.clone()
        };
        assert!(canonical_encoding(&without).contains("\nprefix=none\n"));
        assert_ne!(entry_hash(&without), entry.hash);
    }
}
