//! The rate limiter under address churn, beside the limiter it replaced, in one run: `take`
//! calls per second for a steady set of 1,000 prefixes, and for a new prefix on every call once
//! 200,000 prefixes have been seen (what rotating IPv6 /48s or spoofed forwarding headers
//! produce). Each row runs for `RUN_SECONDS` (default 2) on 1 and 2 threads; nothing else is touched.
//!
//! `cargo run --release -p kapsel-server --example ratelimit_churn` (bench/ratelimit/run.sh).
// A benchmark: the wall clock is what it measures, and a failed thread may panic.
#![allow(
    clippy::disallowed_methods,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kapsel_server::RateLimit;
use kapsel_server::middleware::ratelimit::RateLimiter;

const SEEN: u32 = 200_000;

/// The limiter before issue 11: one global lock, and past 100,000 buckets every new prefix
/// scans them all for full ones to prune.
struct Baseline {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Baseline {
    fn take(&self, prefix: &str, now: Instant) -> bool {
        let (rate, burst) = (20.0, 100.0);
        let mut buckets = self.buckets.lock().unwrap();
        if buckets.len() >= 100_000 && !buckets.contains_key(prefix) {
            let full_after = Duration::from_secs_f64(burst / rate);
            buckets.retain(|_, b| now.saturating_duration_since(b.1) < full_after);
        }
        let bucket = buckets.entry(prefix.to_owned()).or_insert((burst, now));
        let elapsed = now.saturating_duration_since(bucket.1).as_secs_f64();
        bucket.0 = (bucket.0 + elapsed * rate).min(burst);
        bucket.1 = now;
        if bucket.0 >= 1.0 {
            bucket.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

fn prefix(n: u32) -> String {
    format!("2001:db8:{:x}::/48#{}", n >> 16, n & 0xffff)
}

/// Calls per second of `take` over `threads` threads for `run`, each thread drawing prefixes
/// from `next(thread, i)`.
fn measure(
    threads: u32,
    run: Duration,
    take: &(dyn Fn(&str, Instant) -> bool + Sync),
    next: &(dyn Fn(u32, u64) -> String + Sync),
) -> f64 {
    let started = Instant::now();
    let calls: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|thread| {
                scope.spawn(move || {
                    let mut i = 0u64;
                    while started.elapsed() < run {
                        for _ in 0..64 {
                            let key = next(thread, i);
                            std::hint::black_box(take(&key, Instant::now()));
                            i += 1;
                        }
                    }
                    i
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    calls as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let seconds: f64 = std::env::var("RUN_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let run = Duration::from_secs_f64(seconds);
    let settings = RateLimit {
        per_second: 20.0,
        burst: 100,
        exempt_loopback: false,
    };
    let steady = |thread: u32, i: u64| prefix((thread * 500) + (i % 500) as u32);
    // Every call a prefix never seen before, past the SEEN already seen.
    let churn = |thread: u32, i: u64| prefix(SEEN + (i as u32).wrapping_mul(2) + thread);

    println!("| limiter | load | threads | take/s | tracked after |");
    println!("|---|---|---|---|---|");
    for threads in [1, 2] {
        let baseline = Baseline {
            buckets: Mutex::new(HashMap::new()),
        };
        let now = Instant::now();
        let rate = measure(threads, run, &|p, t| baseline.take(p, t), &steady);
        row(
            "before (baseline)",
            "steady 1,000",
            threads,
            rate,
            baseline.buckets.lock().unwrap().len(),
        );
        {
            // Seen before: inserted directly (through `take` it is quadratic past 100,000).
            let mut buckets = baseline.buckets.lock().unwrap();
            for n in 0..SEEN {
                buckets.insert(prefix(n), (100.0, now));
            }
        }
        let rate = measure(threads, run, &|p, t| baseline.take(p, t), &churn);
        row(
            "before (baseline)",
            "churn past 200,000",
            threads,
            rate,
            baseline.buckets.lock().unwrap().len(),
        );

        let limiter = RateLimiter::new(settings.clone());
        let rate = measure(threads, run, &|p, t| limiter.take(p, t).is_ok(), &steady);
        row("after", "steady 1,000", threads, rate, limiter.tracked());
        for n in 0..SEEN {
            let _ = limiter.take(&prefix(n), now);
        }
        let rate = measure(threads, run, &|p, t| limiter.take(p, t).is_ok(), &churn);
        row(
            "after",
            "churn past 200,000",
            threads,
            rate,
            limiter.tracked(),
        );
    }
}

fn row(limiter: &str, load: &str, threads: u32, rate: f64, tracked: usize) {
    println!("| {limiter} | {load} | {threads} | {rate:.0} | {tracked} |");
}
