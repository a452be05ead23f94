//! Random secrets and their stored form.

use base64::Engine;
use sha2::{Digest, Sha256};

/// Prefix of application tokens, so they can be told from passwords (and found by scanners).
pub const APP_TOKEN_PREFIX: &str = "wharf_at_";
pub const REFRESH_TOKEN_PREFIX: &str = "wharf_rt_";

/// Fills `buf` with random bytes from the operating system. getrandom only fails when the OS
/// has no entropy source at all: no key, token or nonce wharf makes could then be trusted, so
/// it stops rather than answer with a weak one. The one place wharf panics on purpose.
#[allow(clippy::panic)]
pub fn fill_random(buf: &mut [u8]) {
    if let Err(e) = getrandom::fill(buf) {
        panic!("the operating system refused random bytes: {e}");
    }
}

/// 256 random bits, base64url without padding, after `prefix`.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The stored form of a token or session id: hex SHA-256.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_prefixed() {
        let a = generate(APP_TOKEN_PREFIX);
        let b = generate(APP_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with(APP_TOKEN_PREFIX));
        assert_eq!(a.len(), APP_TOKEN_PREFIX.len() + 43);
        assert_eq!(digest("x").len(), 64);
    }
}
