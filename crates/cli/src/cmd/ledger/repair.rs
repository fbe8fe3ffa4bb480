//! `kapsel ledger repair`: when a chain's records end before the head its writer recorded
//! (records cut from the end), append a signed acknowledgement of the gap (`kapsel-gap/v1`, a
//! C2SP signed note kept in `ledger_gaps`). Nothing is rewritten, renumbered or deleted: the
//! missing records stay missing, and `verify` reports the chain as intact with an acknowledged
//! gap of seq A..B signed at T instead of silently ok. Any other break is left as it is.

use std::process::ExitCode;

use anyhow::{Context, bail};
use kapsel_core::consent::chain::BreakKind;
use kapsel_core::signing::note::{chain_origin, open_note, sign_note};
use kapsel_core::signing::{PublicKey, SigningKey};
use kapsel_core::{Clock, SystemClock};
use kapsel_store::{Checkpoints, LedgerVerify, StoredGap};

use super::{RepairArgs, instant};
use crate::settings::store::Open;

const GAP_VERSION: &str = "kapsel-gap/v1";

/// What a gap acknowledgement states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapNote {
    pub origin: String,
    /// Where the records end now: seq and hash (64 hex; zeros for none).
    pub found_seq: i64,
    pub found_hash: String,
    /// The head the writer had recorded: seq and hash.
    pub recorded_seq: i64,
    pub recorded_hash: String,
    pub time_ms: i64,
}

impl GapNote {
    pub fn body(&self) -> String {
        format!(
            "{GAP_VERSION}\n{}\nfound-head {} {}\nmissing {} {}\nrecorded-head {} {}\ntime-ms {}\n",
            self.origin,
            self.found_seq,
            self.found_hash,
            self.found_seq + 1,
            self.recorded_seq,
            self.recorded_seq,
            self.recorded_hash,
            self.time_ms
        )
    }

    /// Verifies `note` with `keys` and reads it.
    pub fn open(note: &str, keys: &[PublicKey]) -> anyhow::Result<GapNote> {
        let (body, _) = open_note(note, keys)?;
        let lines: Vec<&str> = body.lines().collect();
        let [version, origin, found, _missing, recorded, time] = lines.as_slice() else {
            bail!("not a {GAP_VERSION} note");
        };
        if *version != GAP_VERSION {
            bail!("not a {GAP_VERSION} note");
        }
        let pair = |line: &str, name: &str| -> anyhow::Result<(i64, String)> {
            let rest = line
                .strip_prefix(name)
                .with_context(|| format!("no {name} line"))?;
            let (seq, hash) = rest.trim().split_once(' ').context("seq and hash")?;
            Ok((seq.parse()?, hash.to_owned()))
        };
        let (found_seq, found_hash) = pair(found, "found-head")?;
        let (recorded_seq, recorded_hash) = pair(recorded, "recorded-head")?;
        let time_ms = time.strip_prefix("time-ms ").context("time-ms")?.parse()?;
        Ok(GapNote {
            origin: (*origin).to_owned(),
            found_seq,
            found_hash,
            recorded_seq,
            recorded_hash,
            time_ms,
        })
    }

    pub fn sign(&self, key: &SigningKey) -> String {
        sign_note(&self.body(), key)
    }
}

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
    for verdict in store.verify_all().await.context("cannot read the ledger")? {
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
