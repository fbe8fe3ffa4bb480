//! `kapsel ledger verify --file EXPORT`: an export on its own — its signed trailer, every chain
//! in it (complete, or from the seal its trailer carries), and each `--checkpoint` against it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use kapsel_core::consent::ConsentRecord;
use kapsel_core::consent::chain::{ChainVerifier, Gap};
use kapsel_core::signing::PublicKey;
use kapsel_core::signing::gap::GapNote;
use sha2::{Digest, Sha256};

use super::evidence::{chain_of_origin, split_trailer, verify_checkpoint, verify_export_note};
use super::seals::{self, OpenedSeal};
use super::verify::{Outside, report_checkpoint};
use super::{exit, instant};

/// Verifies an export on its own: the trailer's signatures and digest, every chain in it, and
/// each outside checkpoint.
pub(super) fn verify_file(
    path: &Path,
    pinned: Option<Vec<PublicKey>>,
    outside: &[Outside],
) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let Some((body, trailer)) = split_trailer(&text) else {
        println!(
            "BROKEN: {} does not end with a signed trailer: the export was cut short, is \
             empty, or is not a Kapsel export",
            path.display()
        );
        return Ok(exit(1));
    };
    let keys = match pinned {
        Some(keys) => keys,
        None => {
            eprintln!("keys: those the export names itself (pin the published ones with --keys)");
            trailer
                .keys
                .iter()
                .filter_map(|k| PublicKey::from_verifier_key(k).ok())
                .collect()
        }
    };
    let mut broken = 0;
    let note = match verify_export_note(&trailer.export, &keys) {
        Ok(note) => note,
        Err(error) => {
            println!("BROKEN: the export's signed trailer: {error:#}");
            return Ok(exit(1));
        }
    };
    let csv = body.starts_with("id,chain_id,seq,");
    let lines: Vec<&str> = body.lines().skip(usize::from(csv)).collect();
    let digest: [u8; 32] = Sha256::digest(body.as_bytes()).into();
    if digest != note.sha256 || lines.len() as u64 != note.records {
        println!(
            "BROKEN: the file holds {} record line(s), the trailer signed at {} says {}: lines \
             were removed, added or changed",
            lines.len(),
            instant(note.time_ms),
            note.records
        );
        broken += 1;
    } else {
        println!(
            "export: complete, {} record(s), signed at {}",
            note.records,
            instant(note.time_ms)
        );
    }
    if csv {
        println!(
            "(a CSV export is checked for completeness only; verify the chain with the JSONL)"
        );
        return Ok(exit(broken));
    }
    let mut chains: BTreeMap<String, Vec<ConsentRecord>> = BTreeMap::new();
    for (index, line) in lines.iter().enumerate() {
        let record: ConsentRecord = serde_json::from_str(line)
            .with_context(|| format!("{}:{}: not a consent record", path.display(), index + 1))?;
        chains
            .entry(record.chain_id.clone())
            .or_default()
            .push(record);
    }
    let mut heads = BTreeMap::new();
    for checkpoint in &trailer.checkpoints {
        match verify_checkpoint(checkpoint, &keys) {
            Ok(verified) => {
                heads.insert(verified.chain_id.clone(), verified);
            }
            Err(error) => {
                broken += 1;
                println!("BROKEN: a checkpoint in the trailer: {error:#}");
            }
        }
    }
    let (sealed, forged_seals) = seals::from_trailer(&trailer.seals, &keys);
    for problem in &forged_seals {
        broken += 1;
        println!("BROKEN: {problem}");
    }
    let mut gaps: BTreeMap<String, Vec<Gap>> = BTreeMap::new();
    for gap in &trailer.gaps {
        let opened = GapNote::open(gap, &keys)
            .map_err(anyhow::Error::from)
            .and_then(|note| {
                let chain = chain_of_origin(&note.origin).context("its origin names no chain")?;
                Ok((chain, note))
            });
        match opened {
            Ok((chain, note)) => gaps.entry(chain).or_default().push(note.gap()),
            Err(error) => {
                broken += 1;
                println!("BROKEN: a gap acknowledgement in the trailer: {error:#}");
            }
        }
    }
    for (chain_id, records) in &mut chains {
        records.sort_by_key(|r| r.seq);
        let result = if note.filtered() {
            check_partial(chain_id, records)
        } else {
            let gaps = gaps.remove(chain_id).unwrap_or_default();
            check_full(
                chain_id,
                records,
                heads.get(chain_id),
                gaps,
                sealed.get(chain_id),
            )
        };
        match result {
            Ok(line) => println!("{line}"),
            Err(problem) => {
                broken += 1;
                println!("BROKEN: {problem}");
            }
        }
    }
    if !note.filtered() {
        for chain in heads.keys().filter(|c| !chains.contains_key(*c)) {
            broken += 1;
            println!(
                "BROKEN: chain {chain}: the trailer signs its head, but the export holds none of its records"
            );
        }
    }
    for given in outside {
        let keys = given.keys.as_deref().unwrap_or(&keys);
        let verified = match verify_checkpoint(&given.note, keys) {
            Ok(verified) => verified,
            Err(error) => {
                broken += 1;
                println!("BROKEN: checkpoint {}: {error:#}", given.source);
                continue;
            }
        };
        if !note.filtered()
            && let Some(agrees) =
                seals::checkpoint_below(&given.source, &verified, sealed.get(&verified.chain_id))
        {
            broken += usize::from(!agrees);
            continue;
        }
        let size = verified.checkpoint.size as i64;
        let records = chains.get(&verified.chain_id);
        let found = records.and_then(|r| r.iter().find(|r| r.seq == size));
        if note.filtered() && found.is_none() {
            println!(
                "chain {}: the checkpoint of {size} records ({}) cannot be checked against this \
                 filtered export (seq {size} is not in it); check it against a full export",
                verified.chain_id, given.source
            );
            continue;
        }
        broken += usize::from(!report_checkpoint(&given.source, &verified, found));
    }
    Ok(exit(broken))
}

/// A full export's chain: every check, and it ends exactly at the head the trailer signs.
fn check_full(
    chain_id: &str,
    records: &[ConsentRecord],
    head: Option<&super::evidence::VerifiedCheckpoint>,
    gaps: Vec<Gap>,
    seal: Option<&OpenedSeal>,
) -> Result<String, String> {
    let Some(head) = head else {
        return Err(format!(
            "chain {chain_id}: the trailer signs no head for it"
        ));
    };
    let mut verifier = ChainVerifier::after_seal(chain_id, seal.map(OpenedSeal::sealed), gaps);
    records
        .iter()
        .try_for_each(|r| verifier.push(r))
        .map_err(|b| b.to_string())?;
    let size = i64::try_from(head.checkpoint.size).unwrap_or(i64::MAX);
    let summary = verifier
        .finish_at_head(size, &head.checkpoint.head_hex())
        .map_err(|_| {
            format!(
                "chain {chain_id}: the export holds records up to seq {} ending with hash {}, but \
                 the trailer signs {} records with head {}: records were cut",
                records.last().map_or(0, |r| r.seq),
                records.last().map_or("none", |r| r.hash.as_str()),
                head.checkpoint.size,
                head.checkpoint.head_hex()
            )
        })?;
    let mut line = format!(
        "chain {chain_id}: ok, {} records, head {} (signed)",
        summary.records, summary.head_hash
    );
    for gap in &summary.gaps {
        line += &format!(
            "; intact with an acknowledged gap of seq {}..{}",
            gap.first_missing, gap.last_missing
        );
    }
    if let Some(seal) = seal {
        line += &seals::describe(seal);
    }
    Ok(line)
}

/// A filtered export's chain: each record's hash, and links where seqs are consecutive.
fn check_partial(chain_id: &str, records: &[ConsentRecord]) -> Result<String, String> {
    let mut previous: Option<&ConsentRecord> = None;
    for record in records {
        let computed = record.compute_hash();
        if computed != record.hash {
            return Err(format!(
                "chain {chain_id}: record seq {} (receipt {}): content was changed",
                record.seq, record.id
            ));
        }
        if let Some(prev) = previous
            && record.seq == prev.seq + 1
            && record.prev_hash != prev.hash
        {
            return Err(format!(
                "chain {chain_id}: record seq {} (receipt {}): link broken",
                record.seq, record.id
            ));
        }
        previous = Some(record);
    }
    Ok(format!(
        "chain {chain_id}: {} record(s) of a filtered export: hashes and links ok",
        records.len()
    ))
}
