//! Randomness as a parameter, like time: receipt ids, instance ids and tokens draw from a
//! [`Random`] source that binaries wire to the operating system ([`OsRandom`]) and tests to a
//! deterministic sequence ([`CountingRandom`]).

use std::sync::atomic::{AtomicU64, Ordering};

/// A source of random bytes.
pub trait Random: Send + Sync {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);

    /// Sixteen random bytes (a token, a receipt id's randomness).
    fn bytes16(&self) -> [u8; 16] {
        let mut buf = [0u8; 16];
        self.fill(&mut buf);
        buf
    }

    fn next_u64(&self) -> u64 {
        let mut buf = [0u8; 8];
        self.fill(&mut buf);
        u64::from_le_bytes(buf)
    }
}

/// The operating system's cryptographically secure generator. Construct it only at a
/// composition root.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    #[allow(clippy::disallowed_methods)] // The one sanctioned entropy read.
    fn fill(&self, buf: &mut [u8]) {
        rand::RngCore::fill_bytes(&mut rand::rng(), buf);
    }
}

/// A deterministic source for tests: every call yields the next value of a counter, spread
/// over the buffer, so ids are distinct and reproducible. Never use it outside tests.
#[derive(Debug, Default)]
pub struct CountingRandom(AtomicU64);

impl CountingRandom {
    pub fn starting_at(first: u64) -> CountingRandom {
        CountingRandom(AtomicU64::new(first))
    }
}

impl Random for CountingRandom {
    fn fill(&self, buf: &mut [u8]) {
        let counter = self.0.fetch_add(1, Ordering::SeqCst).to_be_bytes();
        buf.fill(0);
        // The counter fills the tail (big-endian), so draws sort in the order they were made.
        for (byte, value) in buf.iter_mut().rev().zip(counter.iter().rev()) {
            *byte = *value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_random_is_distinct_and_reproducible() {
        let a = CountingRandom::starting_at(1);
        let b = CountingRandom::starting_at(1);
        let first = a.bytes16();
        assert_eq!(first, b.bytes16());
        assert_ne!(first, a.bytes16());
    }

    #[test]
    fn os_random_differs_between_draws() {
        assert_ne!(OsRandom.bytes16(), OsRandom.bytes16());
    }
}
