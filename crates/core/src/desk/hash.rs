//! The canonical, versioned text of a case event and its SHA-256: the ledger's encoding (see
//! `encoding`), so a case history is checked the way the consent ledger is.
//!
//! Encoding `kapsel-case-event/v1`: the version line, then `case_id`, `seq`, `at_ms`, `actor`,
//! `kind`, the `detail` map and `prev_hash`, in that order.

use super::event::CaseEvent;
use crate::canonical::CanonicalText;

/// The first line of every encoded event. Bump the version when the encoding changes.
pub const ENCODING_VERSION: &str = "kapsel-case-event/v1";

/// The canonical text of every field except `hash`.
pub fn canonical_encoding(event: &CaseEvent) -> String {
    text(event).as_str().to_string()
}

/// SHA-256 of [`canonical_encoding`], lower-case hex.
pub fn event_hash(event: &CaseEvent) -> String {
    text(event).sha256_hex()
}

fn text(event: &CaseEvent) -> CanonicalText {
    let mut text = CanonicalText::new(ENCODING_VERSION);
    text.str("case_id", &event.case_id)
        .int("seq", event.seq)
        .int("at_ms", event.at_ms)
        .str("actor", &event.actor)
        .str("kind", event.kind.name())
        .str_map("detail", &event.kind.detail())
        .str("prev_hash", &event.prev_hash);
    text
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::consent::GENESIS_HASH;
    use crate::desk::event::tests::every_kind;
    use crate::desk::event::{CaseEventKind, NewCaseEvent, VerifyMethod};

    pub(crate) fn sample() -> CaseEvent {
        CaseEvent::seal(
            "01J0000000000000000000000C",
            1,
            GENESIS_HASH,
            NewCaseEvent {
                at_ms: 1_767_225_600_000,
                actor: "user:kari".into(),
                kind: CaseEventKind::Verified {
                    method: VerifyMethod::OtherMeans,
                    note: "ID shown".into(),
                },
            },
        )
    }

    #[test]
    fn encoding_is_exactly_as_documented() {
        let expected = "kapsel-case-event/v1\n\
            case_id=26:01J0000000000000000000000C\n\
            seq=1\n\
            at_ms=1767225600000\n\
            actor=9:user:kari\n\
            kind=8:verified\n\
            detail=2\n\
            6:method=11:other_means\n\
            4:note=8:ID shown\n\
            prev_hash=64:0000000000000000000000000000000000000000000000000000000000000000\n";
        assert_eq!(canonical_encoding(&sample()), expected);
        assert_eq!(sample().hash, event_hash(&sample()));
        assert_eq!(sample().hash.len(), 64);
    }

    #[test]
    fn hash_ignores_the_hash_field_and_covers_every_other_field() {
        let base = sample();
        let mut same = base.clone();
        same.hash = "anything".into();
        assert_eq!(same.compute_hash(), base.hash);

        type Edit = Box<dyn Fn(&mut CaseEvent)>;
        let edits: Vec<Edit> = vec![
            Box::new(|e| e.case_id.push('x')),
            Box::new(|e| e.seq += 1),
            Box::new(|e| e.at_ms += 1),
            Box::new(|e| e.actor = "requester".into()),
            Box::new(|e| e.prev_hash = "1".repeat(64)),
            Box::new(|e| {
                e.kind = CaseEventKind::Verified {
                    method: VerifyMethod::Link,
                    note: "ID shown".into(),
                }
            }),
            Box::new(|e| {
                e.kind = CaseEventKind::Verified {
                    method: VerifyMethod::OtherMeans,
                    note: "ID shown!".into(),
                }
            }),
        ];
        for (n, edit) in edits.iter().enumerate() {
            let mut changed = base.clone();
            edit(&mut changed);
            assert_ne!(changed.compute_hash(), base.hash, "edit {n} kept the hash");
        }
    }

    #[test]
    fn every_kind_hashes_differently() {
        let mut hashes: Vec<String> = every_kind()
            .into_iter()
            .map(|kind| {
                let mut event = sample();
                event.kind = kind;
                event.compute_hash()
            })
            .collect();
        hashes.sort();
        hashes.dedup();
        assert_eq!(hashes.len(), every_kind().len());
    }

    #[test]
    fn details_cannot_shift_into_neighbouring_fields() {
        let mut a = sample();
        a.kind = CaseEventKind::Note {
            text: "x\nprev_hash=1:y".into(),
        };
        let mut b = sample();
        b.kind = CaseEventKind::Note { text: "x".into() };
        b.prev_hash = "y".into();
        assert_ne!(a.compute_hash(), b.compute_hash());
    }
}
