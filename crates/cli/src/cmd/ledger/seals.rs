//! The seals of pruned prefixes (`kapsel-seal/v1`, written by `prune`) as the ledger commands
//! read them: from the database or from an export's trailer, each opened with the trusted keys.
//! A chain is verified from its newest seal that verifies; a seal row or trailer entry that
//! does not verify, or whose row disagrees with its note, is tampering and named as BROKEN.
//! A checkpoint kept from before a prune is checked against the seal where it can be.

use std::collections::BTreeMap;

use kapsel_core::signing::PublicKey;
use kapsel_core::signing::seal::SealNote;

use super::evidence::{VerifiedCheckpoint, chain_of_origin};
use super::instant;

pub use kapsel_jobs::ledger_prune::{OpenedSeal, stored_seals as stored};

/// `; verified from the seal of seq 1..N (head H) sealed at T by key K`.
pub fn describe(seal: &OpenedSeal) -> String {
    format!(
        "; verified from the seal of the removed seq 1..{} (head {}) sealed at {} by key {}",
        seal.note.size,
        seal.note.head_hash,
        instant(seal.note.time_ms),
        seal.key_id
    )
}

/// The newest seal per chain among an export trailer's `seals`, and a problem for each that
/// does not verify with `keys`.
pub fn from_trailer(
    notes: &[String],
    keys: &[PublicKey],
) -> (BTreeMap<String, OpenedSeal>, Vec<String>) {
    let mut newest: BTreeMap<String, OpenedSeal> = BTreeMap::new();
    let mut problems = Vec::new();
    for note in notes {
        let opened = SealNote::open(note, keys)
            .map_err(|error| error.to_string())
            .and_then(|(note, key_id)| {
                let chain = chain_of_origin(&note.origin)
                    .ok_or_else(|| "its origin names no chain".to_owned())?;
                Ok((chain, OpenedSeal { note, key_id }))
            });
        match opened {
            Ok((chain, seal)) => {
                let newer = newest
                    .get(&chain)
                    .is_none_or(|n| n.note.size < seal.note.size);
                if newer {
                    newest.insert(chain, seal);
                }
            }
            Err(error) => problems.push(format!("a seal in the trailer: {error}")),
        }
    }
    (newest, problems)
}

/// A checkpoint at or below a chain's seal, where its record is gone: `None` when the
/// checkpoint lies above the seal (check it against the records), else whether it agrees,
/// after printing what was found.
pub fn checkpoint_below(
    source: &str,
    verified: &VerifiedCheckpoint,
    seal: Option<&OpenedSeal>,
) -> Option<bool> {
    let seal = seal?;
    let size = i64::try_from(verified.checkpoint.size).ok()?;
    if size > seal.note.size {
        return None;
    }
    let (chain, signed) = (&verified.chain_id, instant(verified.checkpoint.time_ms));
    if size < seal.note.size {
        println!(
            "chain {chain}: the checkpoint of {size} records signed at {signed} ({source}) lies \
             inside the prefix removed and sealed up to seq {}: its records are gone, so it \
             cannot be checked any more",
            seal.note.size
        );
        return Some(true);
    }
    if seal.note.head_hash != verified.checkpoint.head_hex() {
        println!(
            "BROKEN: chain {chain}: the checkpoint signed at {signed} ({source}) says seq {size} \
             has hash {}, but the seal of the removed prefix says {}: history up to seq {size} \
             was rewritten before it was removed",
            verified.checkpoint.head_hex(),
            seal.note.head_hash
        );
        return Some(false);
    }
    println!(
        "chain {chain}: consistent with the checkpoint of {size} records signed at {signed} by \
         key {} ({source}), through the seal of the removed prefix",
        verified.key.id_hex()
    );
    Some(true)
}
