//! Pruning the consent ledger (`kapsel ledger prune`, and the server's retention rounds): each
//! chain that verifies — from its newest seal, with its acknowledged gaps, against the ledger's
//! published keys — loses the longest prefix of records no longer needed as proof (not relied
//! on, past the proof period; `kapsel_store::ledger::prune`), sealed with a signed
//! `kapsel-seal/v1` note in the same transaction, at most [`STEP`] records a transaction. A
//! chain that does not verify is left as it is: pruning must never remove the evidence of
//! tampering. What happens is said line by line through `say`, for the terminal or the log.

use kapsel_core::Millis;
use kapsel_core::calendar::rfc3339;
use kapsel_core::consent::chain::SealedPrefix;
use kapsel_core::privacy::duration::Duration;
use kapsel_core::signing::gap::GapNote;
use kapsel_core::signing::note::{chain_of_origin, chain_origin};
use kapsel_core::signing::seal::SealNote;
use kapsel_core::signing::{PublicKey, SigningKey};
use kapsel_store::{
    Checkpoints, LedgerPrune, LedgerVerify, PrunePlan, PruneStop, SigningKeys, Store, StoreError,
    StoredSeal,
};

/// A seal whose note verified.
#[derive(Debug, Clone)]
pub struct OpenedSeal {
    pub note: SealNote,
    /// The id (8 hex) of the key that signed it.
    pub key_id: String,
}

impl OpenedSeal {
    pub fn sealed(&self) -> SealedPrefix {
        self.note.sealed()
    }
}

/// The newest seal of `chain_id` in `store` that verifies with `keys`, and a problem for each
/// seal that does not.
pub async fn stored_seals(
    store: &Store,
    chain_id: &str,
    keys: &[PublicKey],
) -> Result<(Option<OpenedSeal>, Vec<String>), StoreError> {
    let mut newest: Option<OpenedSeal> = None;
    let mut problems = Vec::new();
    for row in store.seals(chain_id).await? {
        let opened = SealNote::open(&row.note, keys)
            .map_err(|error| error.to_string())
            .and_then(|(note, key_id)| {
                let fits = note.size == row.size
                    && note.head_hash == row.head_hash
                    && chain_of_origin(&note.origin).as_deref() == Some(chain_id);
                if fits {
                    Ok(OpenedSeal { note, key_id })
                } else {
                    Err("its row states another chain, size or head than its note".to_owned())
                }
            });
        match opened {
            Ok(seal) => {
                if newest.as_ref().is_none_or(|n| n.note.size < seal.note.size) {
                    newest = Some(seal);
                }
            }
            Err(error) => problems.push(format!(
                "chain {chain_id}: the seal of the removed seq 1..{} does not verify with the \
                 trusted keys ({error}); it is not honoured",
                row.size
            )),
        }
    }
    Ok((newest, problems))
}

/// The most records one transaction removes; a longer prefix goes in several sealed steps, so
/// no step holds the ledger's write lock for long.
const STEP: u64 = 10_000;

/// What one prune of every chain did (or, without a key, would do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerPruned {
    /// Records removed (or that would be).
    pub removed: u64,
    /// Chains left as they are because they do not verify.
    pub refused: usize,
}

/// Prunes every chain at `now` under `proof`, sealing with `key`; without a key, only says
/// what would go.
pub async fn prune_ledger(
    store: &Store,
    key: Option<&SigningKey>,
    proof: Duration,
    now: Millis,
    say: &mut (dyn FnMut(String) + Send),
) -> Result<LedgerPruned, StoreError> {
    let keys = published_keys(store).await?;
    let mut done = LedgerPruned::default();
    for chain_id in store.chain_ids().await? {
        match prune_chain(store, &chain_id, &keys, key, proof, now, say).await? {
            Some(count) => done.removed += count,
            None => done.refused += 1,
        }
    }
    Ok(done)
}

/// The instance keys the store publishes: what seals and gap notes are checked against.
pub async fn published_keys(store: &Store) -> Result<Vec<PublicKey>, StoreError> {
    Ok(store
        .published_keys()
        .await?
        .iter()
        .filter_map(|k| PublicKey::from_base64(&k.name, &k.public_key).ok())
        .collect())
}

/// Verifies `chain_id` as `kapsel ledger verify` does, across its checked seal and acknowledged
/// gaps: the problems found (with the seal, a gap note, or the chain), none when it is whole.
pub async fn chain_problems(
    store: &Store,
    chain_id: &str,
    keys: &[PublicKey],
) -> Result<Vec<String>, StoreError> {
    let (seal, mut problems) = stored_seals(store, chain_id, keys).await?;
    let mut gaps = Vec::new();
    for stored in store.gaps(chain_id).await? {
        match GapNote::open(&stored.note, keys) {
            Ok(note) => gaps.push(note.gap()),
            Err(error) => problems.push(format!("an acknowledged gap does not verify ({error})")),
        }
    }
    let verdict = store
        .verify_chain_sealed(chain_id, seal.as_ref().map(OpenedSeal::sealed), gaps)
        .await?;
    if let Err(chain_break) = &verdict {
        problems.push(chain_break.to_string());
    }
    Ok(problems)
}

/// Prunes one chain (or says what would go, without `key`); the records removed, or `None`
/// when the chain does not verify and was left as it is.
pub async fn prune_chain(
    store: &Store,
    chain_id: &str,
    keys: &[PublicKey],
    key: Option<&SigningKey>,
    proof: Duration,
    now: Millis,
    say: &mut (dyn FnMut(String) + Send),
) -> Result<Option<u64>, StoreError> {
    let problems = chain_problems(store, chain_id, keys).await?;
    if !problems.is_empty() {
        say(format!(
            "chain {chain_id}: not pruned, it does not verify ({}); run `kapsel ledger verify`",
            problems.join("; ")
        ));
        return Ok(None);
    }
    let Some(key) = key else {
        let plan = store.plan_prune(chain_id, proof, now, u64::MAX).await?;
        match &plan.prefix {
            Some(prefix) => say(format!(
                "chain {chain_id}: would remove {} record(s), seq {}..{}, and seal them at seq {} \
                 with head {}{}",
                prefix.records,
                prefix.first_seq,
                prefix.size,
                prefix.size,
                prefix.head_hash,
                stopped(&plan)
            )),
            None => say(format!(
                "chain {chain_id}: nothing to remove{}",
                stopped(&plan)
            )),
        }
        return Ok(Some(plan.prefix.map_or(0, |p| p.records)));
    };
    let mut removed = 0;
    loop {
        let plan = store.plan_prune(chain_id, proof, now, STEP).await?;
        let Some(prefix) = &plan.prefix else {
            if removed == 0 {
                say(format!(
                    "chain {chain_id}: nothing to remove{}",
                    stopped(&plan)
                ));
            }
            return Ok(Some(removed));
        };
        let note = SealNote {
            origin: chain_origin(&key.public().name, chain_id),
            size: prefix.size,
            head_hash: prefix.head_hash.clone(),
            proof_period: proof.to_string(),
            time_ms: now,
        };
        let seal = StoredSeal {
            chain_id: chain_id.to_owned(),
            size: prefix.size,
            head_hash: prefix.head_hash.clone(),
            sealed_at_ms: now,
            key_id: key.public().id_hex(),
            note: note.sign(key),
        };
        match store.remove_sealed_prefix(&seal).await? {
            Ok(count) => {
                removed += count;
                say(format!(
                    "chain {chain_id}: removed {count} record(s), seq {}..{}; sealed: seq 1..{} \
                     with head {} at {} by key {}{}",
                    prefix.first_seq,
                    prefix.size,
                    prefix.size,
                    prefix.head_hash,
                    rfc3339(now),
                    key.public().id_hex(),
                    stopped(&plan)
                ));
            }
            Err(refused) => {
                say(format!("chain {chain_id}: not pruned further: {refused}"));
                return Ok(Some(removed));
            }
        }
        if plan.stop != PruneStop::Limit {
            return Ok(Some(removed));
        }
    }
}

/// Where the prefix ends, and why.
fn stopped(plan: &PrunePlan) -> String {
    match &plan.stop {
        PruneStop::Needed { seq, id, until_ms } => format!(
            "; kept from seq {seq}: receipt {id} is needed as proof until {}",
            rfc3339(*until_ms)
        ),
        PruneStop::ChainHead { seq } => format!("; kept: the chain's head, seq {seq}"),
        PruneStop::Limit => "; more in the next step".to_owned(),
        PruneStop::NoHead => "; the chain has no recorded head".to_owned(),
    }
}
