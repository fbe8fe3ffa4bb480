//! Starting the consent API's ledger writer. A chain whose recorded head does not match its
//! records (a cut tail, a deleted head row, a rewritten last record) gets no writer: the server
//! still starts — banner scripts, pages, readiness and metrics keep answering — but every
//! consent write is refused with 503, `/readyz` says why, the gauge
//! `kapsel_ledger_head_mismatch{chain}` is 1, and one ERROR line names the chain, seqs and
//! hashes. Nothing is written until an operator has looked (`kapsel ledger verify`).

use std::sync::Arc;

use kapsel_core::Clock;
use kapsel_store::{Ledger, LedgerError, Store};
use tokio_util::sync::CancellationToken;

/// The writer of `chain_id`, or one that refuses every write when its head does not match.
/// Other failures (the database unreachable) stop the start as before.
pub async fn start_ledger(
    store: Store,
    chain_id: String,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> Result<Ledger, LedgerError> {
    // The recorder first, so the gauge set here is kept.
    let _recorder = crate::ops::metrics::handle();
    match Ledger::start(store, chain_id.clone(), clock, shutdown.clone()).await {
        Ok(ledger) => {
            metrics::gauge!("kapsel_ledger_head_mismatch", "chain" => chain_id).set(0.0);
            Ok(ledger)
        }
        Err(LedgerError::HeadMismatch(mismatch)) => {
            tracing::error!(
                chain = %mismatch.chain_id,
                recorded_head = ?mismatch.recorded,
                found_end = ?mismatch.found,
                last_record_rehashed = ?mismatch.last_record_rehashed,
                alert = "ledger_head_mismatch",
                "{mismatch}; consent writes are refused until this is resolved"
            );
            metrics::gauge!("kapsel_ledger_head_mismatch", "chain" => chain_id.clone()).set(1.0);
            Ok(Ledger::refusing(chain_id, mismatch.to_string(), shutdown))
        }
        Err(other) => Err(other),
    }
}
