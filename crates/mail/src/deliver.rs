//! One delivery round over the outbox: every due message is rendered and sent, and the outcome
//! recorded — sent; failed and retried later (exponential backoff with jitter, so that many
//! messages failing together do not retry together); dead after the last allowed attempt or at
//! once on a permanent refusal (5xx) or a stored message that no longer renders. Without SMTP,
//! due messages are marked kept and stay in the outbox for `kapsel outbox`.
//!
//! A message is marked only after its SMTP exchange ends, so a crash in between sends it again
//! in the next round (at least once; the fixed `Message-ID` lets the receiver see the repeat).

use kapsel_core::{Clock, Random};
use kapsel_store::{MailState, Outbox};
use lettre::AsyncTransport;

use crate::message::{Sender, render};
use crate::{MailError, Smtp};

/// How failed attempts are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; the message is dead after the last.
    pub max_attempts: i64,
    /// The wait after the first failure; doubled after each further one.
    pub first_delay_ms: i64,
    /// The longest wait.
    pub max_delay_ms: i64,
}

impl Default for RetryPolicy {
    /// 8 attempts over roughly a day: 1, 2, 4 … 64 minutes, then capped at 6 hours.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 8,
            first_delay_ms: 60_000,
            max_delay_ms: 6 * 3_600_000,
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1 = the first): the doubled delay,
    /// capped, with "equal jitter" — half of it fixed, the other half drawn from `random` — so
    /// it is never less than half the backoff and never more than the cap.
    pub fn delay_ms(&self, attempt: i64, random: &dyn Random) -> i64 {
        let doublings = u32::try_from((attempt - 1).clamp(0, 40)).unwrap_or(40);
        let base = self
            .first_delay_ms
            .max(1)
            .saturating_mul(1_i64 << doublings)
            .min(self.max_delay_ms.max(1));
        let half = base / 2;
        let spread = u64::try_from(base - half).unwrap_or(0) + 1;
        let jitter = i64::try_from(random.next_u64() % spread).unwrap_or(0);
        half + jitter
    }
}

/// What a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    /// Failed and to be retried.
    pub failed: usize,
    /// Failed for the last time.
    pub dead: usize,
    /// Kept for the operator: no SMTP configured.
    pub kept: usize,
}

/// Sends up to `limit` due messages over `smtp` from `sender`, or keeps them without SMTP.
/// The error is a failure to read or write the outbox; a failed send is counted, not returned.
pub async fn deliver_due(
    outbox: &impl Outbox,
    smtp: Option<&Smtp>,
    sender: &Sender,
    policy: RetryPolicy,
    clock: &dyn Clock,
    random: &dyn Random,
    limit: i64,
) -> Result<Round, MailError> {
    let mut round = Round::default();
    for mail in outbox.due(clock.now_ms(), limit).await? {
        let Some(smtp) = smtp else {
            outbox.mark_kept(&mail.id).await?;
            round.kept += 1;
            continue;
        };
        let message = match render(&mail, sender) {
            Ok(message) => message,
            Err(error) => {
                // A stored row that no longer renders never will: no retries.
                let now = clock.now_ms();
                outbox
                    .mark_failed(&mail.id, now, &error.to_string(), now, 0)
                    .await?;
                round.dead += 1;
                continue;
            }
        };
        let outcome = smtp.transport().send(message).await;
        let now = clock.now_ms();
        match outcome {
            Ok(_) => {
                outbox.mark_sent(&mail.id, now).await?;
                round.sent += 1;
            }
            Err(error) => {
                let attempt = mail.attempts + 1;
                let max = if error.is_permanent() {
                    attempt
                } else {
                    policy.max_attempts
                };
                let next = now.saturating_add(policy.delay_ms(attempt, random));
                tracing::warn!(mail = %mail.id, attempt, %error, "mail not sent");
                match outbox
                    .mark_failed(&mail.id, now, &error.to_string(), next, max)
                    .await?
                {
                    MailState::Dead => round.dead += 1,
                    _ => round.failed += 1,
                }
            }
        }
    }
    Ok(round)
}

#[cfg(test)]
mod tests {
    use kapsel_core::OsRandom;
    use kapsel_core::random::CountingRandom;

    use super::*;

    #[test]
    fn the_delay_doubles_with_jitter_inside_half_to_full_and_is_capped() {
        let policy = RetryPolicy::default();
        for attempt in 1..=12 {
            let full = (60_000_i64 << (attempt - 1)).min(policy.max_delay_ms);
            let delays: Vec<i64> = (0..200)
                .map(|_| policy.delay_ms(attempt, &OsRandom))
                .collect();
            for delay in &delays {
                assert!(
                    (full / 2..=full).contains(delay),
                    "attempt {attempt}: {delay} of {full}"
                );
            }
            assert!(
                delays.iter().any(|d| *d != delays[0]),
                "attempt {attempt}: no jitter"
            );
        }
        let counting = CountingRandom::starting_at(0);
        assert_eq!(
            policy.delay_ms(1, &counting),
            policy.delay_ms(1, &CountingRandom::starting_at(0))
        );
        assert!(policy.delay_ms(i64::MAX, &OsRandom) <= policy.max_delay_ms);
    }
}
