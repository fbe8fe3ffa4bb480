//! The rules of console sessions and of sign-in throttling, as pure functions of the times the
//! store recorded and the clock's now.
//!
//! - A session ends after [`SessionPolicy::idle_ms`] without a request, and after
//!   [`SessionPolicy::absolute_ms`] however busy it is. A session waiting for its second factor
//!   ends after [`SessionPolicy::pending_ms`].
//! - Sign-in is refused for [`ThrottlePolicy::window_ms`] once an account name has had
//!   [`ThrottlePolicy::per_account`] failures in that window, or an address prefix
//!   [`ThrottlePolicy::per_prefix`]. Failures are counted by the name typed, known or not, so an
//!   unknown name is throttled exactly like a known one and the answers cannot tell them apart.

use crate::Millis;

const MINUTE_MS: Millis = 60 * 1000;

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_ms: Millis,
    pub absolute_ms: Millis,
    /// Between a right password and the second factor.
    pub pending_ms: Millis,
}

impl Default for SessionPolicy {
    /// 30 minutes idle, 12 hours in all, 5 minutes for the second factor.
    fn default() -> Self {
        SessionPolicy {
            idle_ms: 30 * MINUTE_MS,
            absolute_ms: 12 * 60 * MINUTE_MS,
            pending_ms: 5 * MINUTE_MS,
        }
    }
}

/// Why a session is no longer valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Idle,
    Absolute,
}

impl SessionPolicy {
    /// Whether a full session created at `created_ms` and last used at `last_seen_ms` is still
    /// valid at `now_ms`.
    pub fn check(
        &self,
        created_ms: Millis,
        last_seen_ms: Millis,
        now_ms: Millis,
    ) -> Result<(), Ended> {
        if now_ms - created_ms >= self.absolute_ms {
            Err(Ended::Absolute)
        } else if now_ms - last_seen_ms >= self.idle_ms {
            Err(Ended::Idle)
        } else {
            Ok(())
        }
    }

    /// Whether a session waiting for its second factor, created at `created_ms`, is still
    /// valid at `now_ms`.
    pub fn check_pending(&self, created_ms: Millis, now_ms: Millis) -> Result<(), Ended> {
        if now_ms - created_ms >= self.pending_ms {
            Err(Ended::Absolute)
        } else {
            Ok(())
        }
    }
}

/// How many failed sign-ins are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub window_ms: Millis,
    pub per_account: u32,
    pub per_prefix: u32,
}

impl Default for ThrottlePolicy {
    /// 5 failures per account name and 50 per address prefix in 15 minutes.
    fn default() -> Self {
        ThrottlePolicy {
            window_ms: 15 * MINUTE_MS,
            per_account: 5,
            per_prefix: 50,
        }
    }
}

impl ThrottlePolicy {
    /// The start of the window that ends at `now_ms`: failures at or after it count, so a
    /// failure counts for exactly `window_ms`.
    pub fn window_start(&self, now_ms: Millis) -> Millis {
        now_ms - self.window_ms + 1
    }

    /// Whether another attempt may be checked, given the failures counted in the window.
    pub fn allows(&self, account_failures: u32, prefix_failures: u32) -> bool {
        account_failures < self.per_account && prefix_failures < self.per_prefix
    }
}

/// The key failures of an account name are counted under: trimmed and lower-cased, as names
/// are stored, so `Kari` and ` kari` share one count.
pub fn account_key(name: &str) -> String {
    format!("account:{}", name.trim().to_lowercase())
}

/// The key failures from an address prefix are counted under.
pub fn prefix_key(prefix: Option<&str>) -> String {
    format!("prefix:{}", prefix.unwrap_or("unknown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_when_idle_or_old_whichever_comes_first() {
        let policy = SessionPolicy::default();
        let created = 1_000_000;
        assert_eq!(
            policy.check(created, created, created + 29 * MINUTE_MS),
            Ok(())
        );
        assert_eq!(
            policy.check(created, created, created + 30 * MINUTE_MS),
            Err(Ended::Idle)
        );
        // Busy all day: still ends after twelve hours.
        let twelve_hours = 12 * 60 * MINUTE_MS;
        assert_eq!(
            policy.check(created, created + twelve_hours - 1, created + twelve_hours),
            Err(Ended::Absolute)
        );
        assert_eq!(
            policy.check_pending(created, created + 4 * MINUTE_MS),
            Ok(())
        );
        assert_eq!(
            policy.check_pending(created, created + 5 * MINUTE_MS),
            Err(Ended::Absolute)
        );
    }

    #[test]
    fn throttling_counts_names_and_prefixes_apart() {
        let policy = ThrottlePolicy::default();
        assert!(policy.allows(4, 49));
        assert!(!policy.allows(5, 0));
        assert!(!policy.allows(0, 50));
        assert_eq!(policy.window_start(20 * MINUTE_MS), 5 * MINUTE_MS + 1);
        assert_eq!(account_key(" Kari "), account_key("kari"));
        assert_eq!(prefix_key(Some("192.0.2.0/24")), "prefix:192.0.2.0/24");
        assert_eq!(prefix_key(None), "prefix:unknown");
    }
}
