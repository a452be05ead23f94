//! The `Authorization` header: `Basic` (user name + password or application token) and
//! `Bearer` (an application token on its own), parsed once for every endpoint.

use axum::http::{header, HeaderMap};
use base64::Engine;
use wharf_app::domain::AppError;

#[derive(Debug, PartialEq, Eq)]
pub enum Authorization {
    Basic(BasicCredentials),
    Bearer(String),
}

/// `user:secret` as decoded from the header: one string (the token endpoint decodes tens of
/// thousands a second), split where its first `:` is.
#[derive(PartialEq, Eq)]
pub struct BasicCredentials {
    decoded: String,
    colon: usize,
}

impl BasicCredentials {
    pub fn user(&self) -> &str {
        &self.decoded[..self.colon]
    }
    pub fn secret(&self) -> &str {
        &self.decoded[self.colon + 1..]
    }
}

/// Never the secret: credentials may end up in a log line through `{:?}`.
impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("user", &self.user())
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// The credentials in `headers`; `None` when there is no `Authorization` header.
pub fn parse(headers: &HeaderMap) -> Result<Option<Authorization>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || AppError::BadRequest("malformed Authorization header".into());
    let value = value.to_str().map_err(|_| bad())?;
    let (scheme, rest) = value.split_once(' ').ok_or_else(bad)?;
    if scheme.eq_ignore_ascii_case("bearer") {
        let token = rest.trim();
        if token.is_empty() {
            return Err(bad());
        }
        return Ok(Some(Authorization::Bearer(token.to_owned())));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(AppError::BadRequest(format!(
            "unsupported authorization scheme {scheme:?}: use Basic or Bearer"
        )));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| AppError::BadRequest("credentials must be UTF-8".into()))?;
    let colon = decoded.find(':').ok_or_else(bad)?;
    Ok(Some(Authorization::Basic(BasicCredentials { decoded, colon })))
}

/// Basic credentials only (the registry token endpoint, where docker sends Basic).
pub fn basic(headers: &HeaderMap) -> Result<Option<BasicCredentials>, AppError> {
    match parse(headers)? {
        None => Ok(None),
        Some(Authorization::Basic(credentials)) => Ok(Some(credentials)),
        Some(Authorization::Bearer(_)) => Err(AppError::BadRequest("only Basic authorization is accepted here".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        let mut h = HeaderMap::new();
        assert_eq!(parse(&h).unwrap(), None);
        h.insert(header::AUTHORIZATION, "Basic YWxpY2U6czNjcjN0Og==".parse().unwrap());
        let credentials = basic(&h).unwrap().unwrap();
        assert_eq!((credentials.user(), credentials.secret()), ("alice", "s3cr3t:"));
        assert!(!format!("{credentials:?}").contains("s3cr3t"), "Debug hides the secret");
        h.insert(header::AUTHORIZATION, "Basic OmVtcHR5LXVzZXI=".parse().unwrap());
        let credentials = basic(&h).unwrap().unwrap();
        assert_eq!((credentials.user(), credentials.secret()), ("", "empty-user"));
        h.insert(header::AUTHORIZATION, "basic YWxpY2U6czNjcjN0Og==".parse().unwrap());
        assert!(basic(&h).unwrap().is_some(), "the scheme is case-insensitive");
        h.insert(header::AUTHORIZATION, "Basic !!!".parse().unwrap());
        assert!(parse(&h).is_err());
        h.insert(header::AUTHORIZATION, "Bearer wharf_at_x".parse().unwrap());
        assert_eq!(parse(&h).unwrap(), Some(Authorization::Bearer("wharf_at_x".into())));
        assert!(basic(&h).is_err(), "the token endpoint takes Basic only");
        h.insert(header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert!(parse(&h).is_err());
        h.insert(header::AUTHORIZATION, "Digest abc".parse().unwrap());
        assert!(parse(&h).is_err());
    }
}
