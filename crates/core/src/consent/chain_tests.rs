//! Tests of `chain`.
use super::*;
use crate::consent::hash::tests::sample;

fn chain(n: i64) -> Vec<ConsentRecord> {
    let mut prev = GENESIS_HASH.to_string();
    (1..=n)
        .map(|seq| {
            let mut record = sample();
            record.id = format!("R{seq:025}");
            seal(&mut record, seq, &prev);
            prev = record.hash.clone();
            record
        })
        .collect()
}

#[test]
fn an_intact_chain_verifies_and_reports_its_head() {
    let records = chain(5);
    let summary = verify(&records).unwrap();
    assert_eq!(summary.records, 5);
    assert_eq!(summary.head_hash, records[4].hash);
    assert_eq!(verify(&[]).unwrap().head_hash, GENESIS_HASH);
}

#[test]
fn a_changed_record_is_named_by_seq() {
    let mut records = chain(5);
    records[2]
        .choice
        .categories
        .insert("marketing".into(), true);
    let err = verify(&records).unwrap_err();
    assert_eq!(err.seq, 3);
    assert!(
        matches!(err.problem, BreakKind::HashMismatch { .. }),
        "{err}"
    );
}

#[test]
fn a_changed_record_with_recomputed_hash_breaks_the_next_link() {
    let mut records = chain(5);
    records[2].choice.gpc = true;
    records[2].hash = records[2].compute_hash();
    let err = verify(&records).unwrap_err();
    assert_eq!(err.seq, 4);
    assert!(matches!(err.problem, BreakKind::BrokenLink { .. }), "{err}");
}

#[test]
fn a_removed_record_is_a_gap() {
    let mut records = chain(5);
    records.remove(1);
    let err = verify(&records).unwrap_err();
    assert_eq!(
        (err.seq, err.problem.clone()),
        (3, BreakKind::SeqGap { expected: 2 })
    );
    assert!(err.to_string().contains("records were removed"), "{err}");
}

/// Records 1..=8 where 4..=6 were cut and acknowledged: 7 links to 6's hash.
fn chain_across_a_gap() -> (Vec<ConsentRecord>, Gap) {
    let full = chain(8);
    let gap = Gap {
        first_missing: 4,
        last_missing: 6,
        before_hash: full[2].hash.clone(),
        last_missing_hash: full[5].hash.clone(),
    };
    let kept = full
        .into_iter()
        .filter(|r| !(4..=6).contains(&r.seq))
        .collect();
    (kept, gap)
}

#[test]
fn an_acknowledged_gap_is_walked_across_and_reported() {
    let (records, gap) = chain_across_a_gap();
    assert!(
        verify(&records).is_err(),
        "without the acknowledgement it is a gap"
    );
    let mut verifier = ChainVerifier::with_gaps("chain-a", vec![gap.clone()]);
    records.iter().for_each(|r| verifier.push(r).unwrap());
    let summary = verifier.finish_at_head(8, &records[4].hash).unwrap();
    assert_eq!((summary.records, summary.head_seq), (5, 8));
    assert_eq!(summary.gaps, vec![gap]);
}

#[test]
fn a_gap_acknowledged_for_other_records_does_not_cover_a_removal() {
    let (mut records, gap) = chain_across_a_gap();
    // Another record removed before the gap: the chain no longer ends where the note says.
    records.remove(1);
    let mut verifier = ChainVerifier::with_gaps("chain-a", vec![gap.clone()]);
    assert!(records.iter().try_for_each(|r| verifier.push(r)).is_err());
    // A record after the gap removed too: the resumption must be exactly after it.
    let (mut records, _) = chain_across_a_gap();
    records.remove(3);
    let mut verifier = ChainVerifier::with_gaps("chain-a", vec![gap.clone()]);
    assert!(records.iter().try_for_each(|r| verifier.push(r)).is_err());
    // A record after the gap that links elsewhere.
    let (mut records, _) = chain_across_a_gap();
    records[3].prev_hash = records[2].hash.clone();
    records[3].hash = records[3].compute_hash();
    let mut verifier = ChainVerifier::with_gaps("chain-a", vec![gap]);
    let err = records
        .iter()
        .try_for_each(|r| verifier.push(r))
        .unwrap_err();
    assert!(matches!(err.problem, BreakKind::BrokenLink { .. }), "{err}");
}

#[test]
fn an_acknowledged_gap_at_the_end_meets_the_recorded_head() {
    let full = chain(6);
    let gap = Gap {
        first_missing: 4,
        last_missing: 6,
        before_hash: full[2].hash.clone(),
        last_missing_hash: full[5].hash.clone(),
    };
    let mut verifier = ChainVerifier::with_gaps("chain-a", vec![gap]);
    full[..3].iter().for_each(|r| verifier.push(r).unwrap());
    let summary = verifier.clone().finish_at_head(6, &full[5].hash).unwrap();
    assert_eq!(
        (summary.records, summary.head_seq, summary.gaps.len()),
        (3, 6, 1)
    );
    assert!(verifier.finish_at_head(7, &full[5].hash).is_err());
}

#[test]
fn a_cut_tail_is_caught_by_the_recorded_head() {
    let records = chain(5);
    let head = records[4].hash.clone();
    let mut verifier = ChainVerifier::new("chain-a");
    for record in &records[..4] {
        verifier.push(record).unwrap();
    }
    let err = verifier.clone().finish_at_head(5, &head).unwrap_err();
    assert!(
        matches!(
            err.problem,
            BreakKind::HeadMismatch {
                recorded_seq: 5,
                ..
            }
        ),
        "{err}"
    );
    verifier.push(&records[4]).unwrap();
    assert_eq!(verifier.finish_at_head(5, &head).unwrap().records, 5);
}

#[test]
fn swapped_records_are_detected() {
    let mut records = chain(5);
    records.swap(1, 2);
    assert!(verify(&records).is_err());
    // Even with renumbered seqs, the links give the reordering away.
    records[1].seq = 2;
    records[2].seq = 3;
    let err = verify(&records).unwrap_err();
    assert_eq!(err.seq, 2);
}

#[test]
fn a_chain_after_a_sealed_prefix_verifies_from_the_seal_and_nothing_else_does() {
    let records = chain(6);
    let sealed = SealedPrefix {
        size: 3,
        head_hash: records[2].hash.clone(),
    };
    let walk = |sealed: Option<SealedPrefix>, rest: &[ConsentRecord]| {
        let mut verifier = ChainVerifier::after_seal("chain-a", sealed, Vec::new());
        rest.iter().try_for_each(|r| verifier.push(r))?;
        verifier.finish_at_head(6, &records[5].hash)
    };
    let summary = walk(Some(sealed.clone()), &records[3..]).unwrap();
    assert_eq!((summary.records, summary.head_seq), (3, 6));
    assert_eq!(summary.sealed, Some(sealed.clone()));
    // Without the seal the remaining records are a gap from seq 1.
    let err = walk(None, &records[3..]).unwrap_err();
    assert_eq!(err.problem, BreakKind::SeqGap { expected: 1 });
    // A seal with another head hash does not fit the first remaining record.
    let forged = SealedPrefix {
        head_hash: "ab".repeat(32),
        ..sealed.clone()
    };
    let err = walk(Some(forged), &records[3..]).unwrap_err();
    assert!(matches!(err.problem, BreakKind::BrokenLink { .. }), "{err}");
    // A record of the sealed prefix that is still there is named.
    let err = walk(Some(sealed.clone()), &records[2..]).unwrap_err();
    assert_eq!(
        err.problem,
        BreakKind::InsideSealedPrefix { sealed_size: 3 }
    );
    // Editing a remaining record is still found.
    let mut edited = records[3..].to_vec();
    edited[1].choice.gpc = !edited[1].choice.gpc;
    let err = walk(Some(sealed), &edited).unwrap_err();
    assert_eq!(err.seq, 5);
    assert!(
        matches!(err.problem, BreakKind::HashMismatch { .. }),
        "{err}"
    );
}
