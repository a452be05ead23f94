//! Wall-clock time for the decisions that depend on it: backoff after failed sign-ins, cache
//! lifetimes, session and token expiry, the job lease. One `Clock` lives in `AppState`; it
//! reads the system clock plus an offset that only tests move ([`Clock::advance`]), so a test
//! of "after the backoff" or "once the cache expired" moves time forward instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// The time as wharf's expiry and backoff logic sees it. Cloning shares the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Milliseconds added to the system clock; zero outside tests.
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock::default()
    }

    /// Now, as every expiry and backoff check should see it.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every clone of it) forward by `by`: what a test does instead of
    /// sleeping until a backoff, cache entry, session or lease runs out.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone_and_nothing_else() {
        let clock = Clock::system();
        let shared = clock.clone();
        let other = Clock::system();
        let before = clock.now();
        shared.advance(Duration::from_secs(3600));
        let after = clock.now();
        assert!(after - before >= TimeDelta::seconds(3600), "{before} -> {after}");
        assert!(after - before < TimeDelta::seconds(3660));
        assert!(
            other.now() < after - TimeDelta::seconds(3000),
            "an unrelated clock keeps real time"
        );
    }
}
