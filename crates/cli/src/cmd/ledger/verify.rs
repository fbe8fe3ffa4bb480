//! `kapsel ledger verify`: every chain of the ledger (`--data`, `--database-url`) or of an
//! export (`--file`), and each `--checkpoint` against them. A checkpoint must verify with a
//! trusted key, and the chain must hold exactly its head hash at its size, so any rewrite
//! before it or any cut below it is named. An export must end with its signed trailer.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use kapsel_core::consent::chain::{BreakKind, ChainVerifier};
use kapsel_core::consent::{ChainBreak, ConsentRecord};
use kapsel_core::signing::PublicKey;
use kapsel_store::{Checkpoints, LedgerVerify, RevisionStore, SigningKeys, Store};
use sha2::{Digest, Sha256};

use super::evidence::{
    keys_url_beside, parse_keys, read_source, split_trailer, verify_checkpoint, verify_export_note,
};
use super::repair::GapNote;
use super::{VerifyArgs, exit, instant};

/// A checkpoint given on the command line, with the keys to check it by (`None`: the
/// evidence's own).
struct Outside {
    source: String,
    note: String,
    keys: Option<Vec<PublicKey>>,
}

pub async fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let pinned = match &args.keys {
        Some(source) => Some(parse_keys(&read_source(source).await?)?),
        None => None,
    };
    let mut outside = Vec::new();
    for source in &args.checkpoint {
        let note = read_source(source).await?;
        let keys = match (&pinned, keys_url_beside(source)) {
            (Some(keys), _) => Some(keys.clone()),
            (None, Some(url)) if source.starts_with("http") => {
                Some(parse_keys(&read_source(&url).await?)?)
            }
            (None, _) => None,
        };
        outside.push(Outside {
            source: source.clone(),
            note,
            keys,
        });
    }
    match &args.file {
        Some(file) => verify_file(file, pinned, &outside),
        None => verify_store(&args, pinned, &outside).await,
    }
}

async fn verify_store(
    args: &VerifyArgs,
    pinned: Option<Vec<PublicKey>>,
    outside: &[Outside],
) -> anyhow::Result<ExitCode> {
    let (store, _copy) = args.store.open_evidence().await?;
    let keys = match pinned {
        Some(keys) => keys,
        None => own_keys(&store).await?,
    };
    let verdicts = store.verify_all().await.context("cannot read the ledger")?;
    let mut broken = 0;
    for verdict in &verdicts {
        match verdict {
            Ok(summary) => println!(
                "chain {}: ok, {} records, head {}",
                summary.chain_id, summary.records, summary.head_hash
            ),
            Err(chain_break) => match acknowledged_gap(&store, chain_break, &keys).await? {
                Some(gap) => println!(
                    "chain {}: intact with an acknowledged gap of seq {}..{} signed at {}, {} \
                     records, head {}",
                    chain_break.chain_id,
                    gap.found_seq + 1,
                    gap.recorded_seq,
                    instant(gap.time_ms),
                    gap.found_seq,
                    gap.found_hash
                ),
                None => {
                    broken += 1;
                    println!("BROKEN: {chain_break}");
                }
            },
        }
    }
    let revisions = store
        .verify_revisions()
        .await
        .context("cannot read the published revisions")?;
    for problem in &revisions.problems {
        broken += 1;
        println!("BROKEN: {problem}");
    }
    if revisions.problems.is_empty() {
        println!(
            "revisions: ok, {} published document(s) hash to their revision",
            revisions.documents
        );
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
        let size = verified.checkpoint.size as i64;
        let found = store
            .chain_page(&verified.chain_id, size - 1, 1)
            .await?
            .into_iter()
            .find(|r| r.seq == size);
        broken += usize::from(!report_checkpoint(&given.source, &verified, found.as_ref()));
    }
    store.close().await;
    println!("{} chain(s) verified, {broken} broken", verdicts.len());
    Ok(exit(broken))
}

/// The keys the ledger publishes itself, said out loud.
async fn own_keys(store: &Store) -> anyhow::Result<Vec<PublicKey>> {
    let keys: Vec<PublicKey> = store
        .published_keys()
        .await?
        .iter()
        .filter_map(|k| PublicKey::from_base64(&k.name, &k.public_key).ok())
        .collect();
    eprintln!("keys: those kept in the ledger itself (pin the published ones with --keys)");
    Ok(keys)
}

/// The signed acknowledgement of exactly this cut end, if `kapsel ledger repair` made one.
async fn acknowledged_gap(
    store: &Store,
    chain_break: &ChainBreak,
    keys: &[PublicKey],
) -> anyhow::Result<Option<GapNote>> {
    let BreakKind::HeadMismatch {
        recorded_seq,
        recorded_hash,
        found_hash,
    } = &chain_break.problem
    else {
        return Ok(None);
    };
    for gap in store.gaps(&chain_break.chain_id).await? {
        let Ok(note) = GapNote::open(&gap.note, keys) else {
            continue;
        };
        if note.found_seq == chain_break.seq
            && note.found_hash == *found_hash
            && note.recorded_seq == *recorded_seq
            && note.recorded_hash == *recorded_hash
        {
            return Ok(Some(note));
        }
    }
    Ok(None)
}

/// Prints what a checkpoint says against the record found at its size; true when they agree.
fn report_checkpoint(
    source: &str,
    verified: &super::evidence::VerifiedCheckpoint,
    found: Option<&ConsentRecord>,
) -> bool {
    let checkpoint = &verified.checkpoint;
    let (chain, size, signed) = (
        &verified.chain_id,
        checkpoint.size,
        instant(checkpoint.time_ms),
    );
    match found {
        None => {
            println!(
                "BROKEN: chain {chain}: the checkpoint signed at {signed} ({source}) says {size} \
                 records with head {}, but record seq {size} is missing: records were removed \
                 below the checkpoint",
                checkpoint.head_hex()
            );
            false
        }
        Some(record) if record.hash != checkpoint.head_hex() => {
            println!(
                "BROKEN: chain {chain}: record seq {size} (receipt {}) has hash {}, but the \
                 checkpoint signed at {signed} ({source}) says {}: history up to seq {size} was \
                 rewritten",
                record.id,
                record.hash,
                checkpoint.head_hex()
            );
            false
        }
        Some(_) => {
            println!(
                "chain {chain}: consistent with the checkpoint of {size} records signed at \
                 {signed} by key {} ({source})",
                verified.key.id_hex()
            );
            true
        }
    }
}

/// Verifies an export on its own: the trailer's signatures and digest, every chain in it, and
/// each outside checkpoint.
fn verify_file(
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
    for (chain_id, records) in &mut chains {
        records.sort_by_key(|r| r.seq);
        let result = if note.filtered() {
            check_partial(chain_id, records)
        } else {
            check_full(chain_id, records, heads.get(chain_id))
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
) -> Result<String, String> {
    let mut verifier = ChainVerifier::new(chain_id);
    records
        .iter()
        .try_for_each(|r| verifier.push(r))
        .map_err(|b| b.to_string())?;
    let summary = verifier.finish();
    let Some(head) = head else {
        return Err(format!(
            "chain {chain_id}: the trailer signs no head for it"
        ));
    };
    if summary.records != head.checkpoint.size || summary.head_hash != head.checkpoint.head_hex() {
        return Err(format!(
            "chain {chain_id}: the export holds {} records ending with hash {}, but the trailer \
             signs {} records with head {}: records were cut",
            summary.records,
            summary.head_hash,
            head.checkpoint.size,
            head.checkpoint.head_hex()
        ));
    }
    Ok(format!(
        "chain {chain_id}: ok, {} records, head {} (signed)",
        summary.records, summary.head_hash
    ))
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
