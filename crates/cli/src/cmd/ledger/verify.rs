//! `kapsel ledger verify`: every chain of the ledger (`--data`, `--database-url`) or of an
//! export (`--file`), and each `--checkpoint` against them. A checkpoint must verify with a
//! trusted key, and the chain must hold exactly its head hash at its size, so any rewrite
//! before it or any cut below it is named. An export must end with its signed trailer. A pruned
//! chain is verified from its newest seal that verifies (`seals`): its first record must follow
//! the seal's head exactly.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use kapsel_core::consent::ConsentRecord;
use kapsel_core::consent::chain::{ChainSummary, ChainVerifier, Gap};
use kapsel_core::signing::PublicKey;
use kapsel_core::signing::gap::GapNote;
use kapsel_store::{Checkpoints, LedgerVerify, RevisionStore, SigningKeys, Store};
use sha2::{Digest, Sha256};

use super::evidence::{
    chain_of_origin, keys_url_beside, parse_keys, read_source, split_trailer, verify_checkpoint,
    verify_export_note,
};
use super::seals::{self, OpenedSeal};
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
    let chains = store.chain_ids().await.context("cannot read the ledger")?;
    let mut broken = 0;
    let mut sealed = BTreeMap::new();
    for chain_id in &chains {
        let (gaps, mut forged) = acknowledged_gaps(&store, chain_id, &keys).await?;
        let (seal, forged_seals) = seals::stored(&store, chain_id, &keys).await?;
        forged.extend(forged_seals);
        for problem in &forged {
            broken += 1;
            println!("BROKEN: {problem}");
        }
        let verdict = store
            .verify_chain_sealed(
                chain_id,
                seal.as_ref().map(OpenedSeal::sealed),
                gaps.iter().map(GapNote::gap).collect(),
            )
            .await
            .context("cannot read the ledger")?;
        if let Some(seal) = seal {
            sealed.insert(chain_id.clone(), seal);
        }
        match verdict {
            Ok(summary) => println!(
                "{}{}",
                intact(&summary, &gaps),
                sealed
                    .get(chain_id)
                    .map(seals::describe)
                    .unwrap_or_default()
            ),
            Err(chain_break) => {
                broken += 1;
                println!("BROKEN: {chain_break}");
            }
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
        if let Some(agrees) =
            seals::checkpoint_below(&given.source, &verified, sealed.get(&verified.chain_id))
        {
            broken += usize::from(!agrees);
            continue;
        }
        let size = verified.checkpoint.size as i64;
        let found = store
            .chain_page(&verified.chain_id, size - 1, 1)
            .await?
            .into_iter()
            .find(|r| r.seq == size);
        broken += usize::from(!report_checkpoint(&given.source, &verified, found.as_ref()));
    }
    store.close().await;
    println!("{} chain(s) verified, {broken} broken", chains.len());
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

/// The gaps `kapsel ledger repair` acknowledged for `chain_id` whose notes verify with `keys`,
/// and a problem for each that does not: a gap row nobody trusted signed is tampering too.
async fn acknowledged_gaps(
    store: &Store,
    chain_id: &str,
    keys: &[PublicKey],
) -> anyhow::Result<(Vec<GapNote>, Vec<String>)> {
    let mut gaps = Vec::new();
    let mut forged = Vec::new();
    for stored in store.gaps(chain_id).await? {
        match GapNote::open(&stored.note, keys) {
            Ok(note) => gaps.push(note),
            Err(error) => forged.push(format!(
                "chain {chain_id}: the acknowledgement of the gap of seq {}..{} does not verify \
                 with the trusted keys ({error}); it is not honoured",
                stored.first_missing, stored.last_missing
            )),
        }
    }
    Ok((gaps, forged))
}

/// The line for an intact chain, naming every acknowledged gap it was walked across.
fn intact(summary: &ChainSummary, notes: &[GapNote]) -> String {
    let mut line = format!(
        "chain {}: ok, {} records, head {}",
        summary.chain_id, summary.records, summary.head_hash
    );
    for gap in &summary.gaps {
        let signed = notes
            .iter()
            .find(|note| note.gap() == *gap)
            .map(|note| format!(" signed at {}", instant(note.time_ms)))
            .unwrap_or_default();
        line += &format!(
            "; intact with an acknowledged gap of seq {}..{}{signed}",
            gap.first_missing, gap.last_missing
        );
    }
    line
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
