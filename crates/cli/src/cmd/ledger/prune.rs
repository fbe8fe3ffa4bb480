//! `kapsel ledger prune [--dry-run]`: removes from each chain the longest prefix of records no
//! longer needed as proof — not relied on (superseded, expired or withdrawn) and past the
//! `[ledger] proof_period` (3 years by default) — and seals it with a signed `kapsel-seal/v1`
//! note, in one transaction per step (`kapsel_store::ledger::prune`). A chain that does not
//! verify is left as it is: pruning must never remove the evidence of tampering. Each chain's
//! head record stays. `--dry-run` says what would go and changes nothing.

use std::process::ExitCode;

use anyhow::Context;
use kapsel_core::Millis;
use kapsel_core::privacy::duration::Duration;
use kapsel_core::signing::gap::GapNote;
use kapsel_core::signing::note::chain_origin;
use kapsel_core::signing::seal::SealNote;
use kapsel_core::signing::{PublicKey, SigningKey};
use kapsel_core::{Clock, SystemClock};
use kapsel_store::{
    Checkpoints, LedgerPrune, LedgerVerify, PrunePlan, PruneStop, SigningKeys, Store, StoredSeal,
};

use super::{PruneArgs, instant, seals};
use crate::settings::store::Open;

/// The most records one transaction removes; a longer prefix goes in several sealed steps, so
/// no step holds the ledger's write lock for long.
const STEP: u64 = 10_000;

pub async fn run(args: PruneArgs) -> anyhow::Result<ExitCode> {
    let settings = args.store.settings()?;
    let proof = settings.ledger.proof_period()?;
    let store = settings.store.open(Open::Existing).await?;
    let now = SystemClock.now_ms();
    let key = if args.dry_run {
        None
    } else {
        let chain_id = settings.store.resolve_chain_id(&store).await?;
        Some(
            settings
                .signing
                .key(&store, &settings.store, &chain_id, now)
                .await?,
        )
    };
    let keys: Vec<PublicKey> = store
        .published_keys()
        .await?
        .iter()
        .filter_map(|k| PublicKey::from_base64(&k.name, &k.public_key).ok())
        .collect();
    let (mut removed, mut refused) = (0u64, 0usize);
    for chain_id in store.chain_ids().await.context("cannot read the ledger")? {
        match prune_chain(&store, &chain_id, &keys, key.as_ref(), proof, now).await? {
            Some(count) => removed += count,
            None => refused += 1,
        }
    }
    store.close().await;
    if args.dry_run {
        println!(
            "dry run: {removed} record(s) would be removed (proof period {proof}); nothing was \
             changed"
        );
    } else {
        println!("{removed} record(s) removed and sealed (proof period {proof})");
    }
    Ok(if refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Prunes one chain (or says what would go, without `key`); the records removed, or `None`
/// when the chain does not verify and was left as it is.
async fn prune_chain(
    store: &Store,
    chain_id: &str,
    keys: &[PublicKey],
    key: Option<&SigningKey>,
    proof: Duration,
    now: Millis,
) -> anyhow::Result<Option<u64>> {
    let (seal, mut problems) = seals::stored(store, chain_id, keys).await?;
    let mut gaps = Vec::new();
    for stored in store.gaps(chain_id).await? {
        match GapNote::open(&stored.note, keys) {
            Ok(note) => gaps.push(note.gap()),
            Err(error) => problems.push(format!("an acknowledged gap does not verify ({error})")),
        }
    }
    let verdict = store
        .verify_chain_sealed(chain_id, seal.as_ref().map(seals::OpenedSeal::sealed), gaps)
        .await
        .context("cannot read the ledger")?;
    if let Err(chain_break) = &verdict {
        problems.push(chain_break.to_string());
    }
    if !problems.is_empty() {
        println!(
            "chain {chain_id}: not pruned, it does not verify ({}); run `kapsel ledger verify`",
            problems.join("; ")
        );
        return Ok(None);
    }
    let Some(key) = key else {
        let plan = store.plan_prune(chain_id, proof, now, u64::MAX).await?;
        match &plan.prefix {
            Some(prefix) => println!(
                "chain {chain_id}: would remove {} record(s), seq {}..{}, and seal them at seq {} \
                 with head {}{}",
                prefix.records,
                prefix.first_seq,
                prefix.size,
                prefix.size,
                prefix.head_hash,
                stopped(&plan)
            ),
            None => println!("chain {chain_id}: nothing to remove{}", stopped(&plan)),
        }
        return Ok(Some(plan.prefix.map_or(0, |p| p.records)));
    };
    let mut removed = 0;
    loop {
        let plan = store.plan_prune(chain_id, proof, now, STEP).await?;
        let Some(prefix) = &plan.prefix else {
            if removed == 0 {
                println!("chain {chain_id}: nothing to remove{}", stopped(&plan));
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
                println!(
                    "chain {chain_id}: removed {count} record(s), seq {}..{}; sealed: seq 1..{} \
                     with head {} at {} by key {}{}",
                    prefix.first_seq,
                    prefix.size,
                    prefix.size,
                    prefix.head_hash,
                    instant(now),
                    key.public().id_hex(),
                    stopped(&plan)
                );
            }
            Err(refused) => {
                println!("chain {chain_id}: not pruned further: {refused}");
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
            instant(*until_ms)
        ),
        PruneStop::ChainHead { seq } => format!("; kept: the chain's head, seq {seq}"),
        PruneStop::Limit => "; more in the next step".to_owned(),
        PruneStop::NoHead => "; the chain has no recorded head".to_owned(),
    }
}
