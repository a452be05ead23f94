//! `X-Wharf-Signature: t=<unix seconds>,v1=<hex>`: HMAC-SHA256 of `"<t>.<body>"` under the
//! webhook's secret (the Stripe scheme), so a receiver can tell a delivery came from wharf,
//! was not altered, and is fresh. The timestamp is the time of the attempt, not of the event:
//! every retry is signed anew, so a receiver can refuse anything older than a few minutes
//! and a captured delivery cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const HEADER: &str = "x-wharf-signature";

/// How far from the receiver's clock a timestamp may be; what docs/API.md recommends.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the signature header is not t=<unix seconds>,v1=<hex>")]
    Malformed,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("no v1 signature matches the body")]
    Mismatch,
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` sent at `timestamp` (unix seconds), signed with `secret`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

/// What a receiver does: `header` must carry a timestamp within `tolerance_secs` of `now`
/// (unix seconds) and a `v1` that matches `body` (compared in constant time). Unknown keys
/// are ignored and several `v1` are allowed, so the format can grow.
pub fn verify(secret: &[u8], body: &[u8], header: &str, now: i64, tolerance_secs: u64) -> Result<(), VerifyError> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) if timestamp.is_none() => {
                timestamp = Some(t.parse::<i64>().map_err(|_| VerifyError::Malformed)?);
            }
            Some(("t", _)) => return Err(VerifyError::Malformed),
            Some(("v1", v)) => tags.push(hex::decode(v).map_err(|_| VerifyError::Malformed)?),
            Some(_) => {}
            None => return Err(VerifyError::Malformed),
        }
    }
    let Some(timestamp) = timestamp else {
        return Err(VerifyError::Malformed);
    };
    if tags.is_empty() {
        return Err(VerifyError::Malformed);
    }
    if now.abs_diff(timestamp) > tolerance_secs {
        return Err(VerifyError::Stale);
    }
    let expected = mac(secret, timestamp, body);
    if tags.iter().any(|tag| expected.clone().verify_slice(tag).is_ok()) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_700_000_000;
    const BODY: &[u8] = b"what do ya want for nothing?";

    #[test]
    fn matches_a_known_vector() {
        // Python: hmac.new(b"Jefe", b"1700000000.what do ya want for nothing?", "sha256").hexdigest()
        assert_eq!(
            sign(b"Jefe", T, BODY),
            "t=1700000000,v1=1cdd0650c8be1cb0974b1788d458b1e781206cfef59b85faafc582d2e182c57e"
        );
    }

    #[test]
    fn verify_accepts_only_a_fresh_matching_signature() {
        let sig = sign(b"s3cret", T, b"{\"a\":1}");
        let check = |secret: &[u8], body: &[u8], header: &str, now: i64| verify(secret, body, header, now, 300);
        assert_eq!(check(b"s3cret", b"{\"a\":1}", &sig, T), Ok(()));
        assert_eq!(check(b"s3cret", b"{\"a\":1}", &sig, T + 300), Ok(()), "at the edge");
        assert_eq!(check(b"s3cret", b"{\"a\":1}", &sig, T - 300), Ok(()), "clock skew");
        // Tampered body, wrong secret.
        assert_eq!(check(b"s3cret", b"{\"a\":2}", &sig, T), Err(VerifyError::Mismatch));
        assert_eq!(check(b"other", b"{\"a\":1}", &sig, T), Err(VerifyError::Mismatch));
        // The timestamp is signed: moving it to look fresh breaks the signature.
        let moved = sig.replace("t=1700000000", "t=1700000100");
        assert_eq!(
            check(b"s3cret", b"{\"a\":1}", &moved, T + 100),
            Err(VerifyError::Mismatch)
        );
        // A replay after the tolerance is refused even though the MAC is right.
        assert_eq!(check(b"s3cret", b"{\"a\":1}", &sig, T + 301), Err(VerifyError::Stale));
        assert_eq!(check(b"s3cret", b"{\"a\":1}", &sig, T - 301), Err(VerifyError::Stale));
        // Extra keys are ignored; one right v1 among several is enough.
        let (t, v1) = sig.split_once(',').unwrap();
        let rotated = format!("{t},v1={},{v1},v0=abc", "00".repeat(32));
        assert_eq!(check(b"s3cret", b"{\"a\":1}", &rotated, T), Ok(()));
        for bad in [
            "",
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            v1,
            t,
            "t=abc,v1=00",
            "t=1700000000,v1=zz",
            &format!("{t},{t},{v1}"),
        ] {
            assert_eq!(
                check(b"s3cret", b"{\"a\":1}", bad, T),
                Err(VerifyError::Malformed),
                "{bad}"
            );
        }
    }
}
