//! Secrets at rest: webhook secrets and custom header values are stored sealed with
//! AES-256-GCM under a key from the configuration (or one generated in the data dir). A stolen
//! database alone reveals nothing; a tampered value fails to open instead of being used.

use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the webhook key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("a sealed value could not be opened (wrong webhook key, or the value was altered)")]
    Corrupt,
}

/// Seals and opens values with one AES-256-GCM key.
pub struct Sealer {
    key: LessSafeKey,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

fn decode_any(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let t = text.trim();
    URL_SAFE_NO_PAD
        .decode(t.trim_end_matches('='))
        .ok()
        .or_else(|| STANDARD.decode(t).ok())
}

impl Sealer {
    /// A key given as base64 (standard or URL-safe) of 32 bytes.
    pub fn from_base64(text: &str) -> Result<Sealer, SealError> {
        let bytes = decode_any(text).ok_or(SealError::BadKey)?;
        if bytes.len() != 32 {
            return Err(SealError::BadKey);
        }
        let key = UnboundKey::new(&AES_256_GCM, &bytes).map_err(|_| SealError::BadKey)?;
        Ok(Sealer {
            key: LessSafeKey::new(key),
        })
    }

    /// `purpose` is bound into the ciphertext (as associated data), so a sealed secret cannot
    /// be passed off as sealed headers or the other way round.
    pub fn seal(&self, plaintext: &[u8], purpose: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        // Random 96-bit nonces: safe for far more values than webhooks will ever seal.
        crate::backend::auth::secret::fill_random(&mut nonce);
        let mut buf = plaintext.to_vec();
        // Sealing only fails for inputs over ~64 GiB.
        #[allow(clippy::expect_used)]
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut buf,
            )
            .expect("AES-GCM seal");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    pub fn open(&self, sealed: &str, purpose: &str) -> Result<Vec<u8>, SealError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| SealError::Corrupt)?;
        if bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(SealError::Corrupt);
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Corrupt)?;
        let mut buf = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut buf)
            .map_err(|_| SealError::Corrupt)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> String {
        crate::backend::auth::secret::generate("")
    }

    #[test]
    fn round_trip_and_fresh_nonces() {
        let s = Sealer::from_base64(&key()).unwrap();
        let a = s.seal(b"hunter2", "secret");
        let b = s.seal(b"hunter2", "secret");
        assert_ne!(a, b, "each seal uses a new nonce");
        assert!(!a.contains("hunter2"));
        assert_eq!(s.open(&a, "secret").unwrap(), b"hunter2");
    }

    #[test]
    fn tampering_wrong_key_and_wrong_purpose_fail() {
        let s = Sealer::from_base64(&key()).unwrap();
        let sealed = s.seal(b"value", "headers");
        assert_eq!(s.open(&sealed, "secret"), Err(SealError::Corrupt));
        let other = Sealer::from_base64(&key()).unwrap();
        assert_eq!(other.open(&sealed, "headers"), Err(SealError::Corrupt));
        let mut raw = base64::engine::general_purpose::STANDARD.decode(&sealed).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let flipped = base64::engine::general_purpose::STANDARD.encode(raw);
        assert_eq!(s.open(&flipped, "headers"), Err(SealError::Corrupt));
        assert_eq!(s.open("not base64!", "headers"), Err(SealError::Corrupt));
        assert_eq!(s.open("AAAA", "headers"), Err(SealError::Corrupt));
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert_eq!(Sealer::from_base64("c2hvcnQ").unwrap_err(), SealError::BadKey);
        assert_eq!(Sealer::from_base64("%%%").unwrap_err(), SealError::BadKey);
        // Standard base64 with padding works too.
        let std_key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(Sealer::from_base64(&std_key).is_ok());
    }
}
