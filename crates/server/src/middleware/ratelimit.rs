//! Rate limiting per truncated address prefix: an in-memory token bucket per IPv4 /24 or IPv6 /48.
//! Keys are the already truncated prefixes, so no full address is ever held here either.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::RateLimit;

/// Buckets beyond this many are pruned of full ones, bounding memory under address churn.
const MAX_TRACKED_PREFIXES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// The token buckets of every prefix seen recently.
#[derive(Debug)]
pub struct RateLimiter {
    settings: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(settings: RateLimit) -> Self {
        RateLimiter {
            settings,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn exempts_loopback(&self) -> bool {
        self.settings.exempt_loopback
    }

    /// Takes one token for `prefix` at `now`; `Err(wait)` says how long until one is available.
    pub fn take(&self, prefix: &str, now: Instant) -> Result<(), Duration> {
        let rate = self.settings.per_second;
        if rate <= 0.0 {
            return Ok(());
        }
        let burst = f64::from(self.settings.burst.max(1));
        let mut buckets = match self.buckets.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if buckets.len() >= MAX_TRACKED_PREFIXES && !buckets.contains_key(prefix) {
            let full_after = Duration::from_secs_f64(burst / rate);
            buckets.retain(|_, b| now.saturating_duration_since(b.updated) < full_after);
        }
        let bucket = buckets.entry(prefix.to_owned()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
        }
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // Any instant will do as the buckets' origin.
mod tests {
    use super::*;

    fn limiter(per_second: f64, burst: u32) -> RateLimiter {
        RateLimiter::new(RateLimit {
            per_second,
            burst,
            exempt_loopback: false,
        })
    }

    #[test]
    fn burst_is_allowed_then_throttled_then_refilled() {
        let limiter = limiter(2.0, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take("192.0.2.0/24", t0).is_ok());
        }
        let wait = limiter.take("192.0.2.0/24", t0).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        // Another prefix has its own bucket.
        assert!(limiter.take("198.51.100.0/24", t0).is_ok());
        // Half a second at 2/s gives one token back.
        assert!(
            limiter
                .take("192.0.2.0/24", t0 + Duration::from_millis(500))
                .is_ok()
        );
        assert!(
            limiter
                .take("192.0.2.0/24", t0 + Duration::from_millis(500))
                .is_err()
        );
    }

    #[test]
    fn zero_rate_switches_limiting_off() {
        let limiter = limiter(0.0, 1);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(limiter.take("192.0.2.0/24", t0).is_ok());
        }
    }
}
