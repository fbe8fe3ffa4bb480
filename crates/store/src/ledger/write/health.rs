//! Whether the writer can write, for readiness checks and metrics: ready, failing (the storage
//! failed and the writer retries; the disk is full, the database unreachable), or refused (it
//! never started, because the chain's head did not match its records). And the throttle that
//! keeps a failing writer from filling the disk with its own error lines.

use std::sync::{Mutex, PoisonError};

use kapsel_core::Millis;

/// How often a failing writer probes the storage when no append comes to do it, and the
/// `Retry-After` a client is given meanwhile.
pub const RETRY_AFTER_S: u64 = 2;

/// The writer's state as readiness sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriterHealth {
    Ready,
    /// The last batch (or probe) failed at `since_ms` (the first failure in a row) with
    /// `error`; `failures` in a row so far.
    Failing {
        since_ms: Millis,
        failures: u64,
        error: String,
    },
    /// The writer did not start and never writes; `reason` says why.
    Refused {
        reason: String,
    },
}

impl WriterHealth {
    pub fn is_ready(&self) -> bool {
        matches!(self, WriterHealth::Ready)
    }
}

/// The shared cell behind [`Ledger::health`](super::Ledger::health).
#[derive(Debug)]
pub(crate) struct HealthCell(Mutex<WriterHealth>);

impl HealthCell {
    pub(crate) fn new(state: WriterHealth) -> HealthCell {
        HealthCell(Mutex::new(state))
    }

    pub(crate) fn get(&self) -> WriterHealth {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records a failure at `now`; returns how many failures in a row there are now.
    pub(crate) fn failed(&self, now: Millis, error: &str) -> u64 {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (since_ms, failures) = match &*state {
            WriterHealth::Failing {
                since_ms, failures, ..
            } => (*since_ms, failures + 1),
            _ => (now, 1),
        };
        if !matches!(*state, WriterHealth::Refused { .. }) {
            *state = WriterHealth::Failing {
                since_ms,
                failures,
                error: error.to_owned(),
            };
        }
        failures
    }

    /// Records a success; returns the failures in a row it ends (0 when it was ready).
    pub(crate) fn succeeded(&self) -> u64 {
        let mut state = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let ended = match &*state {
            WriterHealth::Failing { failures, .. } => *failures,
            _ => 0,
        };
        if !matches!(*state, WriterHealth::Refused { .. }) {
            *state = WriterHealth::Ready;
        }
        ended
    }

    pub(crate) fn refuse(&self, reason: String) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = WriterHealth::Refused { reason };
    }

    pub(crate) fn is_failing(&self) -> bool {
        matches!(
            *self.0.lock().unwrap_or_else(PoisonError::into_inner),
            WriterHealth::Failing { .. }
        )
    }
}

/// At most one log line per `every_ms` for one kind of failure, counting the ones left out.
#[derive(Debug, Clone)]
pub(crate) struct LogThrottle {
    every_ms: Millis,
    last_ms: Option<Millis>,
    suppressed: u64,
}

impl LogThrottle {
    pub(crate) fn new(every_ms: Millis) -> LogThrottle {
        LogThrottle {
            every_ms,
            last_ms: None,
            suppressed: 0,
        }
    }

    /// `Some(left out since the last line)` when a line may be written at `now`, else `None`
    /// (and the failure is counted).
    pub(crate) fn admit(&mut self, now: Millis) -> Option<u64> {
        match self.last_ms {
            Some(last) if now.saturating_sub(last) < self.every_ms => {
                self.suppressed += 1;
                None
            }
            _ => {
                self.last_ms = Some(now);
                Some(std::mem::take(&mut self.suppressed))
            }
        }
    }

    /// Forgets the last line, so that the next failure after a recovery is logged at once.
    pub(crate) fn reset(&mut self) {
        self.last_ms = None;
        self.suppressed = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_lets_one_line_through_per_interval_and_counts_the_rest() {
        let mut throttle = LogThrottle::new(10_000);
        assert_eq!(throttle.admit(0), Some(0));
        assert_eq!(throttle.admit(1), None);
        assert_eq!(throttle.admit(9_999), None);
        assert_eq!(throttle.admit(10_000), Some(2));
        assert_eq!(throttle.admit(10_001), None);
        throttle.reset();
        assert_eq!(throttle.admit(10_002), Some(0));
    }

    #[test]
    fn failures_in_a_row_keep_their_start_and_a_success_ends_them() {
        let cell = HealthCell::new(WriterHealth::Ready);
        assert_eq!(cell.failed(5, "disk full"), 1);
        assert_eq!(cell.failed(9, "disk full again"), 2);
        assert_eq!(
            cell.get(),
            WriterHealth::Failing {
                since_ms: 5,
                failures: 2,
                error: "disk full again".into()
            }
        );
        assert_eq!(cell.succeeded(), 2);
        assert!(cell.get().is_ready());
        cell.refuse("head mismatch".into());
        cell.succeeded();
        assert!(!cell.get().is_ready(), "a refused writer stays refused");
    }
}
