//! The token signing key and its certificate.
//!
//! On first start wharf generates a P-256 key (ES256) or an RSA-2048 key (RS256) and a
//! self-signed certificate under the data dir. The registry trusts the certificate bundle
//! (`auth.token.rootcertbundle`), which holds the current certificate and, after a rotation,
//! the previous one until tokens it signed have expired.
//!
//! The same keys are published as a JWKS (`token-jwks.json`), which registry 3 can trust
//! instead of the bundle (`auth.token.jwks`). It lists each key twice: under its RFC 7638
//! thumbprint as registry 3 computes it, then under its libtrust id.
//!
//! How a token names its key is [`TokenHeader`]: by default `x5c` (the certificate, checked
//! against `rootcertbundle` by registry 2.8 and 3) plus `kid` (the libtrust id 2.8 also
//! resolves); or `kid` alone, with no certificate chain to verify on every request: the
//! RFC 7638 thumbprint (registry 3: its JWKS or its bundle's keys) or the libtrust id
//! (registry 2.8: its bundle's keys; registry 3: its JWKS).

use std::path::{Path, PathBuf};

use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rcgen::{CertificateParams, DnType, KeyPair, PublicKeyData};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256};
use rustls_pki_types::{pem::PemObject, CertificateDer};
use sha2::{Digest, Sha256};

use crate::backend::config::{SigningAlgorithm, TokenHeader};

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
    /// The bundle's keys as a JWKS, for registry 3's `auth.token.jwks`.
    pub jwks: PathBuf,
}

impl KeyPaths {
    pub fn in_dir(dir: &Path) -> Self {
        KeyPaths {
            key: dir.join("token.key"),
            cert: dir.join("token.crt"),
            bundle: dir.join("token-bundle.crt"),
            previous_cert: dir.join("token-previous.crt"),
            jwks: dir.join("token-jwks.json"),
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
            // A key whose coordinates start with a zero byte works (see `Jwk::registry_key_id`),
            // but its `kid` is then not its RFC 7638 thumbprint; new keys avoid that.
            let mut tries = 0;
            loop {
                let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                    .map_err(|e| KeyError::Generate(e.to_string()))?;
                tries += 1;
                let agree = Jwk::from_spki(&key.subject_public_key_info()).is_ok_and(|j| j.ids_agree());
                if agree || tries >= 32 {
                    return Ok(key);
                }
            }
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

/// The bundle is the current certificate followed by the previous one, if any; the JWKS holds
/// the same keys in the same order.
fn write_bundle(paths: &KeyPaths) -> Result<(), KeyError> {
    let mut bundle = std::fs::read_to_string(&paths.cert).map_err(io(&paths.cert))?;
    if let Ok(prev) = std::fs::read_to_string(&paths.previous_cert) {
        bundle.push_str(&prev);
    }
    std::fs::write(&paths.bundle, &bundle).map_err(io(&paths.bundle))?;
    write_jwks(paths, &bundle)
}

fn write_jwks(paths: &KeyPaths, bundle_pem: &str) -> Result<(), KeyError> {
    write_jwks_json(paths, &jwks_json(paths, bundle_pem)?)
}

fn write_jwks_json(paths: &KeyPaths, json: &str) -> Result<(), KeyError> {
    std::fs::write(&paths.jwks, json).map_err(io(&paths.jwks))
}

/// The bundle's keys under their thumbprints (current key first), then the same keys under
/// their libtrust ids: registry 3 looks a `kid` up among all of them.
fn jwks_json(paths: &KeyPaths, bundle_pem: &str) -> Result<String, KeyError> {
    let invalid = |reason: String| KeyError::Invalid {
        path: paths.bundle.clone(),
        reason,
    };
    let keys = CertificateDer::pem_slice_iter(bundle_pem.as_bytes())
        .map(|cert| {
            let cert = cert.map_err(|e| invalid(e.to_string()))?;
            let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).map_err(|e| invalid(e.to_string()))?;
            let spki = parsed.public_key().raw;
            Ok((Jwk::from_spki(spki).map_err(invalid)?, libtrust_kid(spki)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let by_thumbprint = keys.iter().map(|(jwk, _)| jwk.to_json());
    let by_libtrust_id = keys.iter().map(|(jwk, id)| {
        let mut entry = jwk.to_json();
        entry["kid"] = id.as_str().into();
        entry
    });
    let jwks = serde_json::json!({ "keys": by_thumbprint.chain(by_libtrust_id).collect::<Vec<_>>() });
    Ok(format!("{jwks:#}\n"))
}

/// A public key as a JSON Web Key (RFC 7517), the members its thumbprint covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jwk {
    /// P-256: the point's coordinates, 32 bytes each.
    Ec { x: Vec<u8>, y: Vec<u8> },
    /// RSA: modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

impl Jwk {
    /// From a DER SubjectPublicKeyInfo (what a certificate and `rcgen` hold).
    pub fn from_spki(spki_der: &[u8]) -> Result<Jwk, String> {
        use x509_parser::prelude::FromDer;
        use x509_parser::public_key::PublicKey;
        let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der).map_err(|e| e.to_string())?;
        match spki.parsed().map_err(|e| e.to_string())? {
            PublicKey::EC(point) if point.data().len() == 65 && point.data()[0] == 4 => {
                let data = point.data();
                Ok(Jwk::Ec {
                    x: data[1..33].to_vec(),
                    y: data[33..].to_vec(),
                })
            }
            PublicKey::RSA(key) => {
                let trim = |b: &[u8]| b.iter().skip_while(|&&x| x == 0).copied().collect::<Vec<u8>>();
                Ok(Jwk::Rsa {
                    n: trim(key.modulus),
                    e: trim(key.exponent),
                })
            }
            _ => Err("only P-256 and RSA keys can sign registry tokens".into()),
        }
    }

    /// The required members in lexicographic order, as RFC 7638 hashes them.
    fn canonical(&self) -> String {
        let b = |v: &[u8]| URL_SAFE_NO_PAD.encode(v);
        match self {
            Jwk::Ec { x, y } => format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#, b(x), b(y)),
            Jwk::Rsa { n, e } => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b(e), b(n)),
        }
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url.
    pub fn thumbprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.canonical().as_bytes()))
    }

    /// The id registry 3 gives this key when it comes from its `rootcertbundle`, which is the
    /// `kid` a token must carry to be found there. Distribution computes the thumbprint from
    /// `big.Int.Bytes()`, which drops an EC coordinate's leading zero bytes, so for one P-256
    /// key in 128 it differs from the RFC 7638 thumbprint. Tokens and the JWKS use this id, so
    /// both kinds of trust find every key.
    pub fn registry_key_id(&self) -> String {
        let minimal = |v: &[u8]| v.iter().skip_while(|&&b| b == 0).copied().collect::<Vec<u8>>();
        let as_registry_sees_it = match self {
            Jwk::Ec { x, y } => Jwk::Ec {
                x: minimal(x),
                y: minimal(y),
            },
            Jwk::Rsa { .. } => self.clone(),
        };
        as_registry_sees_it.thumbprint()
    }

    /// Whether the registry's id is the RFC 7638 thumbprint (no coordinate starts with zero).
    fn ids_agree(&self) -> bool {
        match self {
            Jwk::Ec { x, y } => x.first() != Some(&0) && y.first() != Some(&0),
            Jwk::Rsa { .. } => true,
        }
    }

    /// The JWKS entry: the key, its id as `kid`, its algorithm and use.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(&self.canonical()).unwrap_or_default();
        v["kid"] = self.registry_key_id().into();
        v["use"] = "sig".into();
        v["alg"] = match self {
            Jwk::Ec { .. } => "ES256",
            Jwk::Rsa { .. } => "RS256",
        }
        .into();
        v
    }
}

/// Loads the key, generating it first when the data dir has none.
pub fn load_or_generate(
    paths: &KeyPaths,
    algorithm: SigningAlgorithm,
    common_name: &str,
    header: TokenHeader,
) -> Result<SigningKey, KeyError> {
    if !paths.key.exists() {
        generate(paths, algorithm, common_name)?;
    } else if !paths.bundle.exists() || !paths.jwks.exists() {
        write_bundle(paths)?;
    } else if header == TokenHeader::LibtrustKid {
        // A JWKS written by an earlier wharf lists keys by thumbprint only, where registry 3
        // would not find a libtrust `kid`.
        let bundle = std::fs::read_to_string(&paths.bundle).map_err(io(&paths.bundle))?;
        let wanted = jwks_json(paths, &bundle)?;
        if std::fs::read_to_string(&paths.jwks).ok().as_deref() != Some(wanted.as_str()) {
            write_jwks_json(paths, &wanted)?;
        }
    }
    load(paths, header)
}

/// Loads the current key and certificate; the algorithm follows the key.
pub fn load(paths: &KeyPaths, header: TokenHeader) -> Result<SigningKey, KeyError> {
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
    let alg = match algorithm {
        SigningAlgorithm::Es256 => "ES256",
        SigningAlgorithm::Rs256 => "RS256",
    };
    let kid = match header {
        TokenHeader::X5c | TokenHeader::LibtrustKid => libtrust_kid(&spki_der),
        TokenHeader::Kid => Jwk::from_spki(&spki_der)
            .map_err(|reason| invalid(&paths.key, reason))?
            .registry_key_id(),
    };
    let mut jws_header = serde_json::json!({ "alg": alg, "typ": "JWT", "kid": kid });
    if header == TokenHeader::X5c {
        jws_header["x5c"] = serde_json::json!([STANDARD.encode(cert.as_ref())]);
    }
    Ok(SigningKey {
        signer: Arc::new(signer),
        rng,
        algorithm,
        header_b64: URL_SAFE_NO_PAD.encode(jws_header.to_string()),
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
        let first = load_or_generate(&paths, SigningAlgorithm::Es256, "wharf", TokenHeader::X5c).unwrap();
        let again = load_or_generate(&paths, SigningAlgorithm::Es256, "wharf", TokenHeader::X5c).unwrap();
        assert_eq!(first.kid(), again.kid(), "an existing key is reused");
        assert_eq!(first.algorithm(), SigningAlgorithm::Es256);

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&paths.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the private key is its owner's alone");
        }

        generate(&paths, SigningAlgorithm::Es256, "wharf").unwrap();
        let rotated = load(&paths, TokenHeader::X5c).unwrap();
        assert_ne!(first.kid(), rotated.kid());
        let bundle = std::fs::read_to_string(&paths.bundle).unwrap();
        assert_eq!(bundle.matches("BEGIN CERTIFICATE").count(), 2);

        // The JWKS holds the same two keys, current first, each under its thumbprint, then
        // under its libtrust id.
        let jwks: serde_json::Value = serde_json::from_slice(&std::fs::read(&paths.jwks).unwrap()).unwrap();
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        let thumb = |spki: &[u8]| Jwk::from_spki(spki).unwrap().registry_key_id();
        assert_eq!(
            kids,
            [
                thumb(&rotated.spki_der),
                thumb(&first.spki_der),
                libtrust_kid(&rotated.spki_der),
                libtrust_kid(&first.spki_der)
            ]
        );
        assert_eq!(jwks["keys"][0]["x"], jwks["keys"][2]["x"], "one key under two ids");
        assert_eq!(jwks["keys"][0]["kty"], "EC");
        assert_eq!(jwks["keys"][0]["crv"], "P-256");
        assert_eq!(jwks["keys"][0]["alg"], "ES256");
    }

    /// RFC 7638 section 3.1: the thumbprint of its example RSA key.
    #[test]
    fn thumbprints_follow_rfc_7638() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let jwk = Jwk::Rsa {
            n: URL_SAFE_NO_PAD.decode(n).unwrap(),
            e: URL_SAFE_NO_PAD.decode("AQAB").unwrap(),
        };
        assert_eq!(jwk.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assert_eq!(jwk.to_json()["n"], n);
    }

    /// Registry 3 hashes EC coordinates without their leading zero bytes (Go's
    /// `big.Int.Bytes()`); RFC 7638 keeps all 32.
    #[test]
    fn the_registry_key_id_drops_leading_zeros_of_ec_coordinates() {
        let mut x = vec![7u8; 32];
        x[0] = 0;
        let y = vec![9u8; 32];
        let jwk = Jwk::Ec {
            x: x.clone(),
            y: y.clone(),
        };
        let hash = |json: String| URL_SAFE_NO_PAD.encode(Sha256::digest(json.as_bytes()));
        let b = |v: &[u8]| URL_SAFE_NO_PAD.encode(v);
        let as_go = format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#, b(&x[1..]), b(&y));
        let rfc = format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#, b(&x), b(&y));
        assert_eq!(jwk.registry_key_id(), hash(as_go));
        assert_eq!(jwk.thumbprint(), hash(rfc));
        assert_eq!(jwk.to_json()["kid"], jwk.registry_key_id().as_str());
        assert_eq!(jwk.to_json()["x"], b(&x), "the JWKS keeps all 32 bytes");
        let whole = Jwk::Ec { x: vec![1; 32], y };
        assert_eq!(whole.registry_key_id(), whole.thumbprint());
    }

    /// New P-256 keys are made so that both ids agree.
    #[test]
    fn generated_ec_keys_have_no_leading_zero_coordinate() {
        for _ in 0..400 {
            let key = generate_key_pair(SigningAlgorithm::Es256).unwrap();
            assert!(Jwk::from_spki(&key.subject_public_key_info()).unwrap().ids_agree());
        }
    }

    /// `kid` headers name the key by thumbprint and carry no certificate; `libtrust-kid`
    /// headers name it by libtrust id, without certificate; `x5c` headers carry both the
    /// certificate and the libtrust id.
    #[test]
    fn token_headers_name_the_key_as_configured() {
        for alg in [SigningAlgorithm::Es256, SigningAlgorithm::Rs256] {
            let dir = tempfile::tempdir().unwrap();
            let paths = KeyPaths::in_dir(dir.path());
            let x5c = load_or_generate(&paths, alg, "wharf", TokenHeader::X5c).unwrap();
            let kid = load(&paths, TokenHeader::Kid).unwrap();
            let claims = serde_json::json!({"sub": "alice"});
            let h = jsonwebtoken::decode_header(x5c.sign(&claims).unwrap()).unwrap();
            assert_eq!(h.kid.as_deref(), Some(libtrust_kid(&x5c.spki_der).as_str()));
            assert_eq!(h.x5c.map(|c| c.len()), Some(1));
            let h = jsonwebtoken::decode_header(kid.sign(&claims).unwrap()).unwrap();
            let jwk = Jwk::from_spki(&kid.spki_der).unwrap();
            let thumbprint = jwk.thumbprint();
            assert_eq!(jwk.registry_key_id(), thumbprint, "new keys have no leading zero");
            assert_eq!(h.kid.as_deref(), Some(thumbprint.as_str()));
            assert!(h.x5c.is_none());
            let jwks: serde_json::Value = serde_json::from_slice(&std::fs::read(&paths.jwks).unwrap()).unwrap();
            assert_eq!(jwks["keys"][0]["kid"], thumbprint.as_str());
            let libtrust = load(&paths, TokenHeader::LibtrustKid).unwrap();
            let h = jsonwebtoken::decode_header(libtrust.sign(&claims).unwrap()).unwrap();
            assert_eq!(h.kid.as_deref(), Some(libtrust_kid(&kid.spki_der).as_str()));
            assert!(h.x5c.is_none());
            assert_eq!(jwks["keys"][1]["kid"], h.kid.unwrap().as_str());
        }
    }

    /// A JWKS from before the libtrust entries is brought up to date when tokens need them.
    #[test]
    fn an_old_jwks_gains_the_libtrust_ids() {
        let dir = tempfile::tempdir().unwrap();
        let paths = KeyPaths::in_dir(dir.path());
        let key = load_or_generate(&paths, SigningAlgorithm::Es256, "wharf", TokenHeader::X5c).unwrap();
        let jwk = Jwk::from_spki(&key.spki_der).unwrap().to_json();
        let old = format!("{:#}\n", serde_json::json!({ "keys": [jwk] }));
        std::fs::write(&paths.jwks, &old).unwrap();
        load_or_generate(&paths, SigningAlgorithm::Es256, "wharf", TokenHeader::Kid).unwrap();
        assert_eq!(
            std::fs::read_to_string(&paths.jwks).unwrap(),
            old,
            "only libtrust-kid needs it"
        );
        load_or_generate(&paths, SigningAlgorithm::Es256, "wharf", TokenHeader::LibtrustKid).unwrap();
        let jwks: serde_json::Value = serde_json::from_slice(&std::fs::read(&paths.jwks).unwrap()).unwrap();
        assert_eq!(jwks["keys"][1]["kid"], libtrust_kid(&key.spki_der).as_str());
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
            let key = load_or_generate(&paths, alg, "wharf", TokenHeader::X5c).unwrap();
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
