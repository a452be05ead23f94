//! Per-client-address limits on sign-in and token requests, on top of the per-account
//! backoff in [`super::credentials`].
//!
//! - **Failures**: an address that fails to authenticate more than `ip_failures_per_minute`
//!   times is refused (429) until its budget refills, whichever accounts it tries. This stops
//!   one address spraying a password over many accounts, which per-account backoff cannot.
//! - **Expensive requests**: `ip_requests_per_second` caps how often one address may make
//!   wharf verify a credential it has not cached (an argon2id hash, a database look-up; burst:
//!   twice that). Requests answered from the credential cache never count: a cluster pulling
//!   hundreds of images through one NAT address with one valid credential is never refused.
//!
//! Addresses are counted as [`crate::backend::client_ip::limit_key`] says (IPv6 per /64).
//!
//! Both are GCRA limiters (governor) keyed by address, refilled continuously: no global
//! sleep, and a correct client on another address never waits.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use moka::future::Cache;

use crate::domain::AppError;

/// Addresses tracked before old entries are dropped.
const MAX_TRACKED: usize = 100_000;

pub struct ClientThrottle {
    failures: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Addresses out of failure budget, and until when.
    blocked: Cache<IpAddr, Instant>,
    requests: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// When the last block handed out ends, in ms since `started`: once past, no address is
    /// blocked and a request skips the look-up in `blocked` (the usual case, on every token).
    blocks_end_ms: AtomicU64,
    started: Instant,
}

impl ClientThrottle {
    /// `0` turns a limit off.
    pub fn new(failures_per_minute: u32, requests_per_second: u32) -> ClientThrottle {
        ClientThrottle {
            failures: NonZeroU32::new(failures_per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            blocked: Cache::builder()
                .max_capacity(MAX_TRACKED as u64)
                .time_to_live(Duration::from_secs(3600))
                .build(),
            requests: NonZeroU32::new(requests_per_second).map(|n| {
                let burst = NonZeroU32::new(n.get().saturating_mul(2)).unwrap_or(n);
                RateLimiter::keyed(Quota::per_second(n).allow_burst(burst))
            }),
            blocks_end_ms: AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// `at` in ms since the throttle started, rounded up.
    fn ms(&self, at: Instant) -> u64 {
        let micros = at.saturating_duration_since(self.started).as_micros();
        u64::try_from(micros.div_ceil(1000)).unwrap_or(u64::MAX)
    }

    /// Whether every block handed out so far has ended.
    fn none_blocked(&self) -> bool {
        self.ms(Instant::now()) >= self.blocks_end_ms.load(Ordering::Acquire)
    }

    fn too_many(wait: Duration) -> AppError {
        AppError::TooManyRequests(format!(
            "too many requests from your address; try again in {} s",
            wait.as_secs().max(1)
        ))
    }

    /// Before a sign-in or token request: refuses an address out of failure budget.
    pub async fn admit(&self, addr: IpAddr) -> Result<(), AppError> {
        if self.none_blocked() {
            return Ok(());
        }
        let addr = crate::backend::client_ip::limit_key(addr);
        if let Some(until) = self.blocked.get(&addr).await {
            let now = Instant::now();
            if until > now {
                return Err(Self::too_many(until - now));
            }
            self.blocked.invalidate(&addr).await;
        }
        Ok(())
    }

    /// Before verifying a credential that is not cached: refuses an address over its rate.
    pub fn admit_uncached(&self, addr: IpAddr) -> Result<(), AppError> {
        let addr = crate::backend::client_ip::limit_key(addr);
        match self.requests.as_ref().and_then(|l| over_budget(l, addr)) {
            Some(wait) => Err(Self::too_many(wait)),
            None => Ok(()),
        }
    }

    /// Runs a sign-in or token request from `addr`: refused up front when the address is out
    /// of failure budget, and a 401 counts against that budget.
    pub async fn guard<T>(
        &self,
        addr: IpAddr,
        attempt: impl std::future::Future<Output = Result<T, AppError>>,
    ) -> Result<T, AppError> {
        self.admit(addr).await?;
        let result = attempt.await;
        if matches!(result, Err(AppError::Unauthorized(_))) {
            self.failed(addr).await;
        }
        result
    }

    /// After a failed authentication from `addr`.
    pub async fn failed(&self, addr: IpAddr) {
        let addr = crate::backend::client_ip::limit_key(addr);
        if let Some(wait) = self.failures.as_ref().and_then(|l| over_budget(l, addr)) {
            tracing::warn!(%addr, wait_secs = wait.as_secs(), "too many failed sign-ins from one address");
            let until = Instant::now() + wait;
            self.blocks_end_ms.fetch_max(self.ms(until), Ordering::AcqRel);
            self.blocked.insert(addr, until).await;
        }
    }
}

/// Takes one cell of `addr`'s budget; how long to wait when there is none left.
fn over_budget(limiter: &DefaultKeyedRateLimiter<IpAddr>, addr: IpAddr) -> Option<Duration> {
    if limiter.len() > MAX_TRACKED {
        limiter.retain_recent();
    }
    limiter
        .check_key(&addr)
        .err()
        .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_address_out_of_failures_waits_and_others_do_not() {
        let t = ClientThrottle::new(3, 0);
        let bad: IpAddr = "192.0.2.1".parse().unwrap();
        let good: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(t.admit(bad).await.is_ok());
            t.failed(bad).await;
        }
        assert!(t.none_blocked(), "failures within budget block no one");
        assert!(t.admit(bad).await.is_ok(), "three failures are within budget");
        t.failed(bad).await;
        assert!(!t.none_blocked(), "the look-up is not skipped while a block lasts");
        let refused = t.admit(bad).await.unwrap_err();
        assert!(matches!(refused, AppError::TooManyRequests(_)), "{refused:?}");
        assert!(t.admit(good).await.is_ok(), "another address is not affected");
    }

    #[tokio::test]
    async fn ipv6_failures_count_per_64() {
        let t = ClientThrottle::new(2, 0);
        for i in 1..=3 {
            t.failed(format!("2001:db8:0:1::{i}").parse().unwrap()).await;
        }
        let same_64: IpAddr = "2001:db8:0:1:ffff::9".parse().unwrap();
        assert!(
            t.admit(same_64).await.is_err(),
            "rotating addresses inside one /64 does not help"
        );
        assert!(t.admit("2001:db8:0:2::1".parse().unwrap()).await.is_ok());
    }

    #[tokio::test]
    async fn request_rate_allows_a_burst_then_refuses() {
        let t = ClientThrottle::new(0, 5);
        let a: IpAddr = "198.51.100.7".parse().unwrap();
        let admitted = {
            let mut n = 0;
            for _ in 0..30 {
                if t.admit_uncached(a).is_ok() {
                    n += 1;
                }
            }
            n
        };
        assert!((10..=12).contains(&admitted), "burst of 2×5, got {admitted}");
        assert!(ClientThrottle::new(0, 0).admit_uncached(a).is_ok(), "0 turns it off");
        assert!(
            t.admit(a).await.is_ok(),
            "the request rate never blocks the failure gate"
        );
    }
}
