//! The token signing key and its certificate.
//!
//! On first start wharf generates a P-256 key (ES256) or an RSA-2048 key (RS256) and a
//! self-signed certificate under the data dir. The registry trusts the certificate bundle
//! (`auth.token.rootcertbundle`), which holds the current certificate and, after a rotation,
//! the previous one until tokens it signed have expired.
//!
//! Every token carries `kid` (the libtrust id of the key, which registry 2.8 resolves against
//! the bundle) and `x5c` (the certificate), so either lookup path works.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rcgen::{CertificateParams, DnType, KeyPair, PublicKeyData};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256};
use rustls_pki_types::{pem::PemObject, CertificateDer};
use sha2::{Digest, Sha256};

use crate::backend::config::SigningAlgorithm;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading or writing {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("generating the signing key: {0}")]
    Generate(String),
    #[error("the key in {path} is not usable: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// The parsed private key: parsing costs more than signing, so it happens once.
enum Signer {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// Why signing failed (only on a broken system random source).
#[derive(Debug, thiserror::Error)]
#[error("signing a token failed")]
pub struct SignError;

/// The signing material, loaded once at start-up. Tokens are compact JWS: the header (alg,
/// typ, kid, x5c) is the same for every token, so it is encoded once too.
#[derive(Clone)]
pub struct SigningKey {
    signer: Arc<Signer>,
    rng: SystemRandom,
    algorithm: SigningAlgorithm,
    kid: String,
    /// base64url of the JSON header.
    header_b64: String,
    /// SubjectPublicKeyInfo DER, kept for tests and `wharf key show`.
    pub spki_der: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

/// Where the key files live under the data dir.
pub struct KeyPaths {
    pub key: PathBuf,
    pub cert: PathBuf,
    /// What the registry's `rootcertbundle` points to.
    pub bundle: PathBuf,
    pub previous_cert: PathBuf,
}

impl KeyPaths {
    pub fn in_dir(dir: &Path) -> Self {
        KeyPaths {
            key: dir.join("token.key"),
            cert: dir.join("token.crt"),
            bundle: dir.join("token-bundle.crt"),
            previous_cert: dir.join("token-previous.crt"),
        }
    }
}

/// The libtrust key id the registry computes: SHA-256 of the SPKI DER, first 30 bytes, base32
/// without padding, in 12 groups of 4 joined by `:`.
pub fn libtrust_kid(spki_der: &[u8]) -> String {
    let digest = Sha256::digest(spki_der);
    let b32 = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &digest[..30]);
    b32.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

fn generate_key_pair(algorithm: SigningAlgorithm) -> Result<KeyPair, KeyError> {
    match algorithm {
        SigningAlgorithm::Es256 => {
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| KeyError::Generate(e.to_string()))
        }
        SigningAlgorithm::Rs256 => {
            use rsa::pkcs8::EncodePrivateKey;
            let mut rng = rand_core06::OsRng;
            let key = rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| KeyError::Generate(e.to_string()))?;
            let pem = key
                .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            KeyPair::from_pem(&pem).map_err(|e| KeyError::Generate(e.to_string()))
        }
    }
}

fn self_signed(key_pair: &KeyPair, common_name: &str) -> Result<String, KeyError> {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, common_name);
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    let cert = params
        .self_signed(key_pair)
        .map_err(|e| KeyError::Generate(e.to_string()))?;
    Ok(cert.pem())
}

/// Writes a new key and certificate, keeping the old certificate in the bundle so tokens it
/// signed stay valid until they expire (the registry must reload the bundle to see the new one).
pub fn generate(paths: &KeyPaths, algorithm: SigningAlgorithm, common_name: &str) -> Result<(), KeyError> {
    let key_pair = generate_key_pair(algorithm)?;
    let cert_pem = self_signed(&key_pair, common_name)?;
    if paths.cert.exists() {
        std::fs::copy(&paths.cert, &paths.previous_cert).map_err(io(&paths.previous_cert))?;
    }
    crate::backend::secret_file::write(&paths.key, key_pair.serialize_pem().as_bytes()).map_err(io(&paths.key))?;
    std::fs::write(&paths.cert, &cert_pem).map_err(io(&paths.cert))?;
    write_bundle(paths)
}

/// The bundle is the current certificate followed by the previous one, if any.
fn write_bundle(paths: &KeyPaths) -> Result<(), KeyError> {
    let mut bundle = std::fs::read_to_string(&paths.cert).map_err(io(&paths.cert))?;
    if let Ok(prev) = std::fs::read_to_string(&paths.previous_cert) {
        bundle.push_str(&prev);
    }
    std::fs::write(&paths.bundle, bundle).map_err(io(&paths.bundle))
}

/// Loads the key, generating it first when the data dir has none.
pub fn load_or_generate(
    paths: &KeyPaths,
    algorithm: SigningAlgorithm,
    common_name: &str,
) -> Result<SigningKey, KeyError> {
    if !paths.key.exists() {
        generate(paths, algorithm, common_name)?;
    } else if !paths.bundle.exists() {
        write_bundle(paths)?;
    }
    load(paths)
}

/// Loads the current key and certificate; the algorithm follows the key.
pub fn load(paths: &KeyPaths) -> Result<SigningKey, KeyError> {
    let key_pem = std::fs::read_to_string(&paths.key).map_err(io(&paths.key))?;
    let cert_pem = std::fs::read_to_string(&paths.cert).map_err(io(&paths.cert))?;
    let invalid = |path: &Path, reason: String| KeyError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let key_pair = KeyPair::from_pem(&key_pem).map_err(|e| invalid(&paths.key, e.to_string()))?;
    let der = key_pair.serialized_der();
    let rng = SystemRandom::new();
    let (algorithm, signer) = if key_pair.is_compatible(&rcgen::PKCS_ECDSA_P256_SHA256) {
        let k = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng)
            .map_err(|e| invalid(&paths.key, e.to_string()))?;
        (SigningAlgorithm::Es256, Signer::Ec(k))
    } else {
        let k = RsaKeyPair::from_pkcs8(der).map_err(|e| invalid(&paths.key, e.to_string()))?;
        (SigningAlgorithm::Rs256, Signer::Rsa(k))
    };
    let cert = CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(|e| invalid(&paths.cert, e.to_string()))?;
    let spki_der = key_pair.subject_public_key_info();
    let kid = libtrust_kid(&spki_der);
    let header = serde_json::json!({
        "alg": match algorithm { SigningAlgorithm::Es256 => "ES256", SigningAlgorithm::Rs256 => "RS256" },
        "typ": "JWT",
        "kid": kid,
        "x5c": [STANDARD.encode(cert.as_ref())],
    });
    Ok(SigningKey {
        signer: Arc::new(signer),
        rng,
        algorithm,
        header_b64: URL_SAFE_NO_PAD.encode(header.to_string()),
        kid,
        spki_der,
    })
}

impl SigningKey {
    pub fn kid(&self) -> &str {
        &self.kid
    }
    pub fn algorithm(&self) -> SigningAlgorithm {
        self.algorithm
    }

    /// A compact JWS of `claims`.
    pub fn sign<T: serde::Serialize>(&self, claims: &T) -> Result<String, SignError> {
        let payload = serde_json::to_vec(claims).map_err(|_| SignError)?;
        let mut token = String::with_capacity(self.header_b64.len() + payload.len() * 4 / 3 + 400);
        token.push_str(&self.header_b64);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
        let signature = match self.signer.as_ref() {
            Signer::Ec(k) => k
                .sign(&self.rng, token.as_bytes())
                .map_err(|_| SignError)?
                .as_ref()
                .to_vec(),
            Signer::Rsa(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &self.rng, token.as_bytes(), &mut sig)
                    .map_err(|_| SignError)?;
                sig
            }
        };
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtrust_kid_has_the_registry_shape() {
        let kid = libtrust_kid(b"anything");
        assert_eq!(kid.len(), 59);
        assert_eq!(kid.split(':').count(), 12);
        assert!(kid
            .split(':')
            .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))));
    }

    #[test]
    fn generates_once_then_rotates_with_the_old_certificate_kept_in_the_bundle() {
        let dir = tempfile::tempdir().unwrap();
        let paths = KeyPaths::in_dir(dir.path());
        let first = load_or_generate(&paths, SigningAlgorithm::Es256, "wharf").unwrap();
        let again = load_or_generate(&paths, SigningAlgorithm::Es256, "wharf").unwrap();
        assert_eq!(first.kid(), again.kid(), "an existing key is reused");
        assert_eq!(first.algorithm(), SigningAlgorithm::Es256);

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&paths.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the private key is its owner's alone");
        }

        generate(&paths, SigningAlgorithm::Es256, "wharf").unwrap();
        let rotated = load(&paths).unwrap();
        assert_ne!(first.kid(), rotated.kid());
        let bundle = std::fs::read_to_string(&paths.bundle).unwrap();
        assert_eq!(bundle.matches("BEGIN CERTIFICATE").count(), 2);
    }

    #[test]
    fn signs_es256_and_rs256_tokens_that_verify() {
        use jsonwebtoken::Algorithm;
        for (alg, want) in [
            (SigningAlgorithm::Es256, Algorithm::ES256),
            (SigningAlgorithm::Rs256, Algorithm::RS256),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let paths = KeyPaths::in_dir(dir.path());
            let key = load_or_generate(&paths, alg, "wharf").unwrap();
            assert_eq!(key.algorithm(), alg);
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let claims = serde_json::json!({"iss": "wharf", "aud": "svc", "sub": "alice", "exp": now + 60});
            let token = key.sign(&claims).unwrap();
            let header = jsonwebtoken::decode_header(&token).unwrap();
            assert_eq!(header.kid.as_deref(), Some(key.kid()));
            let cert_pem = std::fs::read_to_string(&paths.cert).unwrap();
            let decoding = match want {
                Algorithm::ES256 => jsonwebtoken::DecodingKey::from_ec_pem(cert_pem.as_bytes()),
                _ => jsonwebtoken::DecodingKey::from_rsa_pem(cert_pem.as_bytes()),
            };
            // RSA certificates are not accepted by from_rsa_pem; fall back to the key's SPKI.
            let decoding = decoding.or_else(|_| {
                let spki = pem_encode("PUBLIC KEY", &key.spki_der);
                match want {
                    Algorithm::ES256 => jsonwebtoken::DecodingKey::from_ec_pem(spki.as_bytes()),
                    _ => jsonwebtoken::DecodingKey::from_rsa_pem(spki.as_bytes()),
                }
            });
            let mut v = jsonwebtoken::Validation::new(want);
            v.set_audience(&["svc"]);
            v.set_issuer(&["wharf"]);
            let data = jsonwebtoken::decode::<serde_json::Value>(&token, &decoding.unwrap(), &v).unwrap();
            assert_eq!(data.claims["sub"], "alice");
        }
    }

    fn pem_encode(label: &str, der: &[u8]) -> String {
        let b64 = STANDARD.encode(der);
        let body: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", body.join("\n"))
    }
}
