//! `kapsel ledger verify`: every chain of the ledger (`--data`, `--database-url`) or of an
//! export (`--file`), and each `--checkpoint` against them. A checkpoint must verify with a
//! trusted key, and the chain must hold exactly its head hash at its size, so any rewrite
//! before it or any cut below it is named. An export must end with its signed trailer. A pruned
//! chain is verified from its newest seal that verifies (`seals`): its first record must follow
//! the seal's head exactly. An export is `verify_file`'s.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Context;
use kapsel_core::consent::ConsentRecord;
use kapsel_core::consent::chain::ChainSummary;
use kapsel_core::signing::PublicKey;
use kapsel_core::signing::gap::GapNote;
use kapsel_store::{Checkpoints, LedgerVerify, RevisionStore, SigningKeys, Store};

use super::evidence::{keys_url_beside, parse_keys, read_source, verify_checkpoint};
use super::seals::{self, OpenedSeal};
use super::{VerifyArgs, exit, instant};

/// A checkpoint given on the command line, with the keys to check it by (`None`: the
/// evidence's own).
pub(super) struct Outside {
    pub source: String,
    pub note: String,
    pub keys: Option<Vec<PublicKey>>,
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
        Some(file) => super::verify_file::verify_file(file, pinned, &outside),
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
pub(super) fn report_checkpoint(
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
