//! The writer's start-up check: the head its predecessor recorded in `ledger_chains` (moved in
//! the same transaction as every batch) must be exactly where the chain's records end, and the
//! last record must still hash to its stored hash. Otherwise records were cut from the end, the
//! head row was deleted, or the last record was rewritten, and resuming would reuse sequence
//! numbers and hide the damage; so the writer refuses to start, and says where and how.
//!
//! A first start is the one case with neither a head row nor records. The facts of a mismatch
//! ([`ChainHeadMismatch`]) are what `kapsel ledger repair` needs to append a record of the gap;
//! once that acknowledgement exists for exactly this cut end, the writer resumes after the
//! recorded head (the missing numbers are never given out again).

use std::fmt;

use kapsel_core::consent::chain::Gap;
use kapsel_core::consent::{ConsentRecord, GENESIS_HASH};

/// A chain whose recorded head and records disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHeadMismatch {
    pub chain_id: String,
    /// `(head_seq, head_hash)` from `ledger_chains`, or `None` when the row is missing.
    pub recorded: Option<(i64, String)>,
    /// `(seq, hash)` of the chain's last record as stored, or `None` when it has none.
    pub found: Option<(i64, String)>,
    /// When the last record's content no longer hashes to its stored hash: what it hashes to.
    pub last_record_rehashed: Option<String>,
}

impl ChainHeadMismatch {
    /// The first sequence number that may be used after this chain's history: past both the
    /// recorded head and the last record, so that no number is ever given out twice.
    pub fn next_unused_seq(&self) -> i64 {
        let recorded = self.recorded.as_ref().map_or(0, |(seq, _)| *seq);
        let found = self.found.as_ref().map_or(0, |(seq, _)| *seq);
        recorded.max(found) + 1
    }
}

impl fmt::Display for ChainHeadMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chain = &self.chain_id;
        let found = match &self.found {
            Some((seq, hash)) => format!("the records end at seq {seq} with hash {hash}"),
            None => "the chain has no records".to_owned(),
        };
        match (&self.recorded, &self.last_record_rehashed) {
            (_, Some(computed)) => write!(
                f,
                "chain {chain}: {found}, but that record's content hashes to {computed}: the \
                 last record was rewritten"
            )?,
            (Some((seq, hash)), None) => write!(
                f,
                "chain {chain}: the writer recorded head seq {seq} with hash {hash}, but {found}: \
                 records were removed from the end or rewritten"
            )?,
            (None, None) => write!(
                f,
                "chain {chain}: {found}, but its head row in ledger_chains is missing: the row \
                 was deleted"
            )?,
        }
        write!(
            f,
            "; the writer refuses to start so that no sequence number is reused (run `kapsel \
             ledger verify`)"
        )
    }
}

/// Where the writer resumes: `(seq, hash)` of the chain's head, or the mismatch that forbids it.
/// A cut end that one of `gaps` acknowledges exactly (records end where it begins, the recorded
/// head is its last missing record) resumes after the recorded head.
pub fn resume_point(
    chain_id: &str,
    recorded: Option<(i64, String)>,
    last: Option<&ConsentRecord>,
    gaps: &[Gap],
) -> Result<(i64, String), ChainHeadMismatch> {
    let found = last.map(|record| (record.seq, record.hash.clone()));
    let rehashed = last
        .map(ConsentRecord::compute_hash)
        .filter(|computed| last.is_some_and(|record| *computed != record.hash));
    match (&recorded, &found) {
        (None, None) => return Ok((0, GENESIS_HASH.to_string())),
        (Some(head), Some(end)) if head == end && rehashed.is_none() => return Ok(end.clone()),
        (Some((head_seq, head_hash)), _) if rehashed.is_none() => {
            let (end_seq, end_hash) = found.clone().unwrap_or((0, GENESIS_HASH.to_string()));
            let acknowledged = gaps.iter().any(|gap| {
                gap.first_missing == end_seq + 1
                    && gap.before_hash == end_hash
                    && gap.last_missing == *head_seq
                    && gap.last_missing_hash == *head_hash
            });
            if acknowledged {
                return Ok((*head_seq, head_hash.clone()));
            }
        }
        _ => {}
    }
    Err(ChainHeadMismatch {
        chain_id: chain_id.to_string(),
        recorded,
        found,
        last_record_rehashed: rehashed,
    })
}

#[cfg(test)]
mod tests {
    use kapsel_core::Lang;
    use kapsel_core::consent::chain::seal;
    use kapsel_core::consent::{ConsentAction, ConsentChoice, RecordContext};

    use super::*;

    fn record(seq: i64) -> ConsentRecord {
        let mut record = ConsentRecord {
            id: format!("R{seq:025}"),
            chain_id: "c".into(),
            seq: 0,
            recorded_at_ms: 1,
            expires_at_ms: 2,
            choice: ConsentChoice {
                site: "www".into(),
                revision: "r".into(),
                language: Lang::new("en"),
                action: ConsentAction::RejectAll,
                categories: Default::default(),
                services: Default::default(),
                previous_receipt: None,
                gpc: false,
            },
            context: RecordContext {
                ip_prefix: None,
                ua_family: "other".into(),
            },
            prev_hash: String::new(),
            hash: String::new(),
        };
        seal(&mut record, seq, GENESIS_HASH);
        record
    }

    #[test]
    fn a_first_start_and_a_matching_head_resume() {
        assert_eq!(
            resume_point("c", None, None, &[]),
            Ok((0, GENESIS_HASH.to_string()))
        );
        let last = record(7);
        let head = Some((7, last.hash.clone()));
        assert_eq!(
            resume_point("c", head, Some(&last), &[]),
            Ok((7, last.hash.clone()))
        );
    }

    #[test]
    fn a_cut_tail_a_missing_row_and_a_rewritten_last_record_are_refused() {
        let last = record(8);
        let cut = resume_point("c", Some((10, "ab".repeat(32))), Some(&last), &[]).unwrap_err();
        assert_eq!(cut.next_unused_seq(), 11);
        let text = cut.to_string();
        assert!(
            text.contains("chain c") && text.contains("seq 10") && text.contains("seq 8"),
            "{text}"
        );
        assert!(text.contains(&last.hash) && text.contains("removed from the end"));

        let missing = resume_point("c", None, Some(&last), &[]).unwrap_err();
        assert!(missing.to_string().contains("head row"), "{missing}");
        assert_eq!(missing.next_unused_seq(), 9);

        let emptied = resume_point("c", Some((3, "cd".repeat(32))), None, &[]).unwrap_err();
        assert!(emptied.to_string().contains("no records"), "{emptied}");

        let mut rewritten = record(8);
        rewritten.choice.gpc = true;
        let head = Some((8, rewritten.hash.clone()));
        let changed = resume_point("c", head, Some(&rewritten), &[]).unwrap_err();
        assert!(changed.last_record_rehashed.is_some());
        assert!(changed.to_string().contains("rewritten"), "{changed}");
    }

    #[test]
    fn an_acknowledged_cut_end_resumes_after_the_recorded_head_and_nothing_else_does() {
        let last = record(8);
        let recorded = "ab".repeat(32);
        let gap = Gap {
            first_missing: 9,
            last_missing: 10,
            before_hash: last.hash.clone(),
            last_missing_hash: recorded.clone(),
        };
        let head = || Some((10, recorded.clone()));
        assert_eq!(
            resume_point("c", head(), Some(&last), std::slice::from_ref(&gap)),
            Ok((10, recorded.clone()))
        );
        // A gap acknowledged for another cut does not cover this one.
        let other = Gap {
            first_missing: 8,
            ..gap.clone()
        };
        assert!(resume_point("c", head(), Some(&last), &[other]).is_err());
        let moved = Gap {
            last_missing: 11,
            ..gap.clone()
        };
        assert!(
            resume_point(
                "c",
                Some((11, recorded.clone())),
                Some(&last),
                std::slice::from_ref(&moved)
            )
            .is_ok()
        );
        assert!(resume_point("c", head(), Some(&last), &[moved]).is_err());
        // Nor does it cover a last record rewritten since.
        let mut rewritten = record(8);
        rewritten.choice.gpc = true;
        assert!(resume_point("c", head(), Some(&rewritten), &[gap]).is_err());
    }
}
