//! The id every request gets (unless the load balancer sent one): in each log line of the
//! request and in the response's `x-request-id`, so a user's error report finds its log lines.
//!
//! A random per-process prefix and a scrambled counter, rather than a UUID v4 each: unique
//! across replicas and restarts all the same, without a `getrandom` system call per request.
//! The counter goes through a keyed bijection so ids do not tell how busy the server is.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::{HeaderValue, Request};
use tower_http::request_id::{MakeRequestId, RequestId};

#[derive(Clone)]
pub struct CountingRequestId {
    prefix: u64,
    key: u64,
    next: Arc<AtomicU64>,
}

/// SplitMix64's finalizer: a bijection on `u64`, so distinct counters give distinct ids.
fn scramble(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl CountingRequestId {
    pub fn new() -> Self {
        let mut bytes = [0u8; 16];
        let seed = match getrandom::fill(&mut bytes) {
            Ok(()) => u128::from_le_bytes(bytes),
            // Without the system's random source, a time-based prefix still tells restarts apart.
            Err(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        };
        CountingRequestId {
            prefix: seed as u64,
            key: (seed >> 64) as u64,
            next: Arc::new(AtomicU64::new(0)),
        }
    }

    fn next_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}{:016x}", self.prefix, scramble(n ^ self.key))
    }
}

impl Default for CountingRequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl MakeRequestId for CountingRequestId {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        HeaderValue::try_from(self.next_id()).ok().map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_within_and_across_processes() {
        let mut a = CountingRequestId::new();
        let req = Request::new(());
        let first = a.make_request_id(&req).unwrap();
        let second = a.clone().make_request_id(&req).unwrap();
        assert_ne!(first.header_value(), second.header_value(), "clones share the counter");
        assert_eq!(first.header_value().to_str().unwrap().len(), 32);
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| a.next_id()).collect();
        assert_eq!(ids.len(), 10_000);
        let other = CountingRequestId::new().next_id();
        assert_ne!(other[..16], a.next_id()[..16], "each process has its own prefix");
    }
}
