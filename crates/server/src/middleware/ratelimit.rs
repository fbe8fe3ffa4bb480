//! Rate limiting per truncated address prefix: an in-memory token bucket per IPv4 /24 or IPv6 /48.
//! Keys are the already truncated prefixes, so no full address is ever held here either.
//!
//! The buckets are split into shards by a hash of the prefix, each behind its own lock, and
//! each shard keeps two generations: a bucket is looked up in the current one, then in the
//! previous one (and moved forward). When the current generation is full it becomes the previous
//! one and the old previous one is dropped, outside the lock. Memory is bounded
//! ([`MAX_TRACKED_PREFIXES`]) and every request costs O(1) however many prefixes churn through;
//! the old design scanned every bucket under one global lock for each new prefix past 100,000.
//! A prefix forgotten this way was unseen for a whole generation and starts again with a full
//! burst, as it would have after waiting `burst / rate`.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::RateLimit;

/// Buckets kept at most, over every shard and both generations.
pub const MAX_TRACKED_PREFIXES: usize = 100_000;

/// Shards: enough that two cores and a few dozen connections rarely meet on one lock.
const SHARDS: usize = 64;

/// Buckets per shard and generation.
const PER_GENERATION: usize = MAX_TRACKED_PREFIXES / SHARDS / 2;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Debug, Default)]
struct Shard {
    current: HashMap<String, Bucket>,
    previous: HashMap<String, Bucket>,
}

impl Shard {
    /// Runs `update` on the bucket of `prefix`, created full or moved forward from the previous
    /// generation. A generation that had to be retired is handed back, to be dropped outside
    /// the lock.
    fn with_bucket<R>(
        &mut self,
        prefix: &str,
        fresh: Bucket,
        update: impl FnOnce(&mut Bucket) -> R,
    ) -> (R, Option<HashMap<String, Bucket>>) {
        if let Some(bucket) = self.current.get_mut(prefix) {
            return (update(bucket), None);
        }
        let mut bucket = self.previous.remove(prefix).unwrap_or(fresh);
        let answer = update(&mut bucket);
        let mut retired = None;
        if self.current.len() >= PER_GENERATION {
            let full = std::mem::replace(&mut self.current, HashMap::with_capacity(PER_GENERATION));
            retired = Some(std::mem::replace(&mut self.previous, full));
        }
        self.current.insert(prefix.to_owned(), bucket);
        (answer, retired)
    }

    fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

/// The token buckets of every prefix seen recently.
#[derive(Debug)]
pub struct RateLimiter {
    settings: RateLimit,
    hasher: RandomState,
    shards: Vec<Mutex<Shard>>,
}

impl RateLimiter {
    pub fn new(settings: RateLimit) -> Self {
        RateLimiter {
            settings,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }

    pub fn exempts_loopback(&self) -> bool {
        self.settings.exempt_loopback
    }

    /// How many prefixes have a bucket now (at most [`MAX_TRACKED_PREFIXES`]).
    pub fn tracked(&self) -> usize {
        self.shards.iter().map(|shard| lock(shard).len()).sum()
    }

    /// Takes one token for `prefix` at `now`; `Err(wait)` says how long until one is available.
    pub fn take(&self, prefix: &str, now: Instant) -> Result<(), Duration> {
        let rate = self.settings.per_second;
        if rate <= 0.0 {
            return Ok(());
        }
        let burst = f64::from(self.settings.burst.max(1));
        let index = (self.hasher.hash_one(prefix) as usize) % SHARDS;
        let Some(shard) = self.shards.get(index) else {
            return Ok(());
        };
        let fresh = Bucket {
            tokens: burst,
            updated: now,
        };
        let mut guard = lock(shard);
        let (answer, retired) = guard.with_bucket(prefix, fresh, |bucket| {
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
            bucket.updated = now;
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                Ok(())
            } else {
                Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate))
            }
        });
        drop(guard);
        // Freeing a retired generation takes a while; nobody waits on the lock meanwhile.
        drop(retired);
        answer
    }
}

fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    match shard.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
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
    fn memory_is_bounded_under_churn_and_a_recent_prefix_keeps_its_state() {
        let limiter = limiter(1.0, 2);
        let t0 = Instant::now();
        // Drain one prefix, then let 300,000 others pass while it keeps asking.
        assert!(limiter.take("192.0.2.0/24", t0).is_ok());
        assert!(limiter.take("192.0.2.0/24", t0).is_ok());
        for n in 0..300_000u32 {
            let prefix =
                format!("10.{}.{}.0/24", n >> 16, (n >> 8) & 0xff) + &(n & 0xff).to_string();
            assert!(limiter.take(&prefix, t0).is_ok());
            if n % 1000 == 0 {
                assert!(limiter.take("192.0.2.0/24", t0).is_err(), "after {n}");
            }
        }
        assert!(
            limiter.tracked() <= MAX_TRACKED_PREFIXES,
            "{}",
            limiter.tracked()
        );
        assert!(
            limiter.tracked() > MAX_TRACKED_PREFIXES / 2,
            "{}",
            limiter.tracked()
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
