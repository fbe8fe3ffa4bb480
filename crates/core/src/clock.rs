//! Time as a parameter. Core never reads the wall clock; callers pass a `Clock` or a timestamp,
//! so that expiry, deadlines and retention are testable without waiting.

/// Milliseconds since the Unix epoch, UTC. Stored as an integer in every backend.
pub type Millis = i64;

/// A source of the current time.
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> Millis;
}

/// A clock that always answers the same instant; for tests and for replaying history.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Millis);

impl Clock for FixedClock {
    fn now_ms(&self) -> Millis {
        self.0
    }
}
