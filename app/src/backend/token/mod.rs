//! Registry tokens: short-lived JWTs the distribution registry trusts.
//!
//! Claims follow what registry 2.8 checks: `iss`, `aud` as a single string (= service), integer
//! `exp`/`nbf`/`iat`, `jti`, `sub`, and `access`.

pub mod keys;

use serde::{Deserialize, Serialize};

pub use keys::SigningKey;

/// One entry of the `access` claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
    pub access: Vec<AccessEntry>,
}

/// What `/v2/token` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub token: String,
    pub access_token: String,
    pub expires_in: u64,
    /// RFC 3339.
    pub issued_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// Signs registry tokens; cheap to clone.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    pub key: SigningKey,
    pub issuer: String,
    pub service: String,
    pub ttl_secs: u64,
}

impl TokenIssuer {
    /// Signs a token for `subject` (empty for anonymous) with the given access entries.
    pub fn issue(&self, subject: &str, access: Vec<AccessEntry>) -> Result<TokenResponse, keys::SignError> {
        let now = time::OffsetDateTime::now_utc();
        let iat = now.unix_timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: subject.to_owned(),
            aud: self.service.clone(),
            exp: iat + self.ttl_secs as i64,
            nbf: iat - 1,
            iat,
            jti: uuid::Uuid::new_v4().to_string(),
            access,
        };
        let token = self.key.sign(&claims)?;
        Ok(TokenResponse {
            access_token: token.clone(),
            token,
            expires_in: self.ttl_secs,
            issued_at: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            refresh_token: None,
        })
    }
}
