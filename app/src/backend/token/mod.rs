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

/// What `/v2/token` answers. The token goes out twice, as `token` (Docker's name) and
/// `access_token` (OAuth2's), from one string.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub token: String,
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

impl Serialize for TokenResponse {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("TokenResponse", 5)?;
        s.serialize_field("token", &self.token)?;
        s.serialize_field("access_token", &self.token)?;
        s.serialize_field("expires_in", &self.expires_in)?;
        s.serialize_field("issued_at", &self.issued_at)?;
        match &self.refresh_token {
            Some(refresh) => s.serialize_field("refresh_token", refresh)?,
            None => s.skip_field("refresh_token")?,
        }
        s.end()
    }
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
            token,
            expires_in: self.ttl_secs,
            issued_at: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            refresh_token: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_names_the_token_twice_and_the_refresh_token_only_when_there_is_one() {
        let mut answer = TokenResponse {
            token: "t0k".into(),
            expires_in: 300,
            issued_at: "2026-12-07T00:00:00Z".into(),
            refresh_token: None,
        };
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"token": "t0k", "access_token": "t0k", "expires_in": 300, "issued_at": "2026-12-07T00:00:00Z"})
        );
        answer.refresh_token = Some("r".into());
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(json["refresh_token"], "r");
        let back: TokenResponse = serde_json::from_value(json).unwrap();
        assert_eq!((back.token.as_str(), back.refresh_token.as_deref()), ("t0k", Some("r")));
    }
}
