//! `kapsel ledger prune [--dry-run]`: removes from each chain the longest prefix of records no
//! longer needed as proof — not relied on (superseded, expired or withdrawn) and past the
//! `[ledger] proof_period` (3 years by default) — and seals it with a signed `kapsel-seal/v1`
//! note, in one transaction per step (`kapsel_jobs::ledger_prune`, which the server's retention
//! rounds run too). A chain that does not verify is left as it is: pruning must never remove
//! the evidence of tampering. Each chain's head record stays. `--dry-run` says what would go and
//! changes nothing.

use std::process::ExitCode;

use kapsel_core::{Clock, SystemClock};
use kapsel_jobs::ledger_prune::prune_ledger;

use super::PruneArgs;
use crate::settings::store::Open;

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
    let done = prune_ledger(&store, key.as_ref(), proof, now, &mut |line| {
        println!("{line}")
    })
    .await?;
    store.close().await;
    let removed = done.removed;
    if args.dry_run {
        println!(
            "dry run: {removed} record(s) would be removed (proof period {proof}); nothing was \
             changed"
        );
    } else {
        println!("{removed} record(s) removed and sealed (proof period {proof})");
    }
    Ok(if done.refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
