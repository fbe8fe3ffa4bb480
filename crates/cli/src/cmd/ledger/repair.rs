//! `kapsel ledger repair`: when a chain's records end before the head its writer recorded
//! (records cut from the end), append a signed acknowledgement of the gap (`kapsel-gap/v1`, a
//! C2SP signed note kept in `ledger_gaps`). Nothing is rewritten, renumbered or deleted: the
//! missing records stay missing, and `verify` reports the chain as intact with an acknowledged
//! gap of seq A..B signed at T instead of silently ok. Any other break is left as it is.

use std::process::ExitCode;

use anyhow::Context;
use kapsel_core::consent::chain::BreakKind;
use kapsel_core::signing::gap::GapNote;
use kapsel_core::signing::note::chain_origin;
use kapsel_core::signing::seal::SealNote;
use kapsel_core::{Clock, SystemClock};
use kapsel_store::{Checkpoints, LedgerPrune, LedgerVerify, StoredGap};

use super::{RepairArgs, instant};
use crate::settings::store::Open;

pub async fn run(args: RepairArgs) -> anyhow::Result<ExitCode> {
    let settings = args.store.settings()?;
    let store = settings.store.open(Open::Existing).await?;
    let now = SystemClock.now_ms();
    let chain_id = settings.store.resolve_chain_id(&store).await?;
    let key = settings
        .signing
        .key(&store, &settings.store, &chain_id, now)
        .await?;
    let mut repaired = 0;
    for chain_id in store.chain_ids().await.context("cannot read the ledger")? {
        // Gaps acknowledged before are walked across, so that only a new cut is acknowledged.
        let acknowledged: Vec<_> = store
            .gaps(&chain_id)
            .await?
            .iter()
            .filter_map(|stored| GapNote::read_unverified(&stored.note).ok())
            .map(|note| note.gap())
            .collect();
        // A pruned chain starts after its newest seal.
        let sealed = store
            .seals(&chain_id)
            .await?
            .iter()
            .rev()
            .find_map(|stored| SealNote::read_unverified(&stored.note).ok())
            .map(|note| note.sealed());
        let verdict = store
            .verify_chain_sealed(&chain_id, sealed, acknowledged)
            .await
            .context("cannot read the ledger")?;
        let Err(chain_break) = verdict else { continue };
        if args
            .chain
            .as_ref()
            .is_some_and(|only| *only != chain_break.chain_id)
        {
            continue;
        }
        let BreakKind::HeadMismatch {
            recorded_seq,
            recorded_hash,
            found_hash,
        } = &chain_break.problem
        else {
            println!("left as it is (repair only acknowledges a cut end): {chain_break}");
            continue;
        };
        if *recorded_seq <= chain_break.seq {
            println!("left as it is (the end was rewritten, not cut): {chain_break}");
            continue;
        }
        let gap = GapNote {
            origin: chain_origin(&key.public().name, &chain_break.chain_id),
            found_seq: chain_break.seq,
            found_hash: found_hash.clone(),
            recorded_seq: *recorded_seq,
            recorded_hash: recorded_hash.clone(),
            time_ms: now,
        };
        let known = store.gaps(&chain_break.chain_id).await?;
        if known.iter().any(|g| g.first_missing == gap.found_seq + 1) {
            println!(
                "chain {}: the gap of seq {}..{} is acknowledged already",
                chain_break.chain_id,
                gap.found_seq + 1,
                gap.recorded_seq
            );
            continue;
        }
        store
            .append_gap(&StoredGap {
                chain_id: chain_break.chain_id.clone(),
                first_missing: gap.found_seq + 1,
                last_missing: gap.recorded_seq,
                acknowledged_at_ms: now,
                note: gap.sign(&key),
            })
            .await?;
        repaired += 1;
        println!(
            "chain {}: appended a signed acknowledgement of the gap of seq {}..{} at {} (key {})",
            chain_break.chain_id,
            gap.found_seq + 1,
            gap.recorded_seq,
            instant(now),
            key.public().id_hex()
        );
    }
    store.close().await;
    println!("{repaired} gap(s) acknowledged; nothing was rewritten");
    Ok(ExitCode::SUCCESS)
}
