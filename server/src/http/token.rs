//! `/v2/token`: the Docker token authentication endpoint.
//!
//! - `GET` with optional Basic credentials (password or application token), `service`, and any
//!   number of `scope` parameters. No credentials means anonymous.
//! - `POST` (OAuth2, form body) with `grant_type=password` (returns a refresh token when
//!   `access_type=offline`) or `grant_type=refresh_token`.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sea_orm::EntityTrait;
use wharf_app::backend::auth::{credentials, directory, Identity};
use wharf_app::backend::error::DistributionError;
use wharf_app::backend::metrics::TokenOutcome;
use wharf_app::backend::store::tokens;
use wharf_app::backend::{registry_auth, AppState};
use wharf_app::domain::AppError;

/// One decoded `key=value` pair, borrowed from the request unless it held escapes.
type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// Decodes `application/x-www-form-urlencoded` into pairs, refusing non-UTF-8 and malformed
/// escapes. (`form_urlencoded` would replace both silently.)
fn form_pairs(raw: &str) -> Result<Vec<Pair<'_>>, AppError> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            match (form_decode(k), form_decode(v)) {
                (Some(k), Some(v)) => Ok((k, v)),
                _ => Err(AppError::BadRequest(
                    "parameters must be valid percent-encoded UTF-8".into(),
                )),
            }
        })
        .collect()
}

/// `+` is a space and `%XX` a byte; text without either is returned as it is.
fn form_decode(s: &str) -> Option<Cow<'_, str>> {
    let bytes = s.as_bytes();
    if !bytes.iter().any(|&b| b == b'%' || b == b'+') {
        return Some(Cow::Borrowed(s));
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                // Exactly two hex digits (no sign, as `from_str_radix` would take: "%+1").
                let mut byte = [0u8; 1];
                hex::decode_to_slice(bytes.get(i + 1..i + 3)?, &mut byte).ok()?;
                out.push(byte[0]);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// Every `scope` parameter's value.
fn scopes<'a>(pairs: &'a [Pair<'_>]) -> Vec<&'a str> {
    pairs
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.as_ref())
        .collect()
}

fn fail(state: &AppState, error: AppError) -> Response {
    DistributionError {
        error,
        realm: state.config.token_realm(),
    }
    .into_response()
}

async fn login(state: &AppState, name: &str, secret: &str, addr: IpAddr) -> Result<Identity, AppError> {
    credentials::authenticate(state, name, secret, Some(addr)).await
}

/// The token (or the error docker expects), counted and timed for `/metrics`.
fn answer(
    state: &AppState,
    started: Instant,
    result: Result<wharf_app::backend::token::TokenResponse, AppError>,
) -> Response {
    let outcome = match &result {
        Ok(_) => TokenOutcome::issued,
        Err(e) => TokenOutcome::of_error(e),
    };
    let resp = match result {
        Ok(token) => Json(token).into_response(),
        Err(e) => fail(state, e),
    };
    state.metrics.token_request(outcome, started.elapsed());
    resp
}

/// `GET /v2/token`.
#[tracing::instrument(skip_all)]
pub async fn get_token(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let ip = state.client_ip(addr.ip(), &headers);
    let attempt = async {
        let pairs = form_pairs(query.as_deref().unwrap_or(""))?;
        let service = pairs.iter().find(|(k, _)| k == "service").map(|(_, v)| v.as_ref());
        let scopes = scopes(&pairs);
        let identity = match super::authorization::basic(&headers)? {
            Some(basic) => Some(login(&state, basic.user(), basic.secret(), ip).await?),
            None => None,
        };
        registry_auth::issue(&state, identity.as_ref(), service, &scopes).await
    };
    let result = state.throttle.guard(ip, attempt).await;
    answer(&state, started, result)
}

/// `POST /v2/token` (OAuth2 password and refresh-token grants).
#[tracing::instrument(skip_all)]
pub async fn post_token(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let ip = state.client_ip(addr.ip(), &headers);
    let attempt = async {
        let body =
            std::str::from_utf8(&body).map_err(|_| AppError::BadRequest("the form body must be UTF-8".into()))?;
        let pairs = form_pairs(body)?;
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_ref());
        let scopes = scopes(&pairs);
        let client_id = get("client_id").unwrap_or("");
        let user_agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        match get("grant_type") {
            Some("password") => {
                let (Some(name), Some(secret)) = (get("username"), get("password")) else {
                    return Err(AppError::BadRequest("username and password are required".into()));
                };
                let identity = login(&state, name, secret, ip).await?;
                let mut token = registry_auth::issue(&state, Some(&identity), get("service"), &scopes).await?;
                if get("access_type") == Some("offline") {
                    token.refresh_token = Some(
                        tokens::create_refresh_token(&state.db, &identity, client_id, user_agent, state.clock.now())
                            .await?,
                    );
                }
                Ok(token)
            }
            Some("refresh_token") => {
                let Some(refresh) = get("refresh_token") else {
                    return Err(AppError::BadRequest("refresh_token is required".into()));
                };
                let row = tokens::use_refresh_token(&state.db, refresh, state.clock.now())
                    .await?
                    .ok_or_else(|| AppError::Unauthorized("the refresh token is invalid, expired or revoked".into()))?;
                let user = wharf_app::backend::entity::user::Entity::find_by_id(row.user_id)
                    .one(&state.db)
                    .await?
                    .filter(|u| !u.disabled)
                    .ok_or_else(|| AppError::Unauthorized("the refresh token is invalid, expired or revoked".into()))?;
                // A directory user's device works only while the directory still has them.
                let user = directory::recheck(&state, user).await?;
                // The refresh token grants what the credential it was made from granted.
                let identity = Identity {
                    read_only: row.read_only,
                    ..Identity::of_user(&user)
                };
                registry_auth::issue(&state, Some(&identity), get("service"), &scopes).await
            }
            Some(other) => Err(AppError::BadRequest(format!(
                "unsupported grant_type {:?}",
                other.chars().take(40).collect::<String>()
            ))),
            None => Err(AppError::BadRequest("grant_type is required".into())),
        }
    };
    let result = state.throttle.guard(ip, attempt).await;
    answer(&state, started, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        let p = form_pairs("scope=repository%3Aa%2Fb%3Apull&scope=repository:c:push&service=my+svc").unwrap();
        assert_eq!(p[0], ("scope".into(), "repository:a/b:pull".into()));
        assert_eq!(p[1].1, "repository:c:push");
        assert_eq!(p[2].1, "my svc");
        assert!(form_pairs("scope=%ff").is_err(), "non-UTF-8 is refused");
        assert!(form_pairs("scope=%4").is_err(), "truncated escapes are refused");
        assert!(form_pairs("scope=%zz").is_err());
        assert!(form_pairs("a=%2").is_err(), "an escape cut at the end is refused");
        assert!(form_pairs("a=%+1").is_err(), "an escape is two hex digits, no sign");
        let p = form_pairs("scope=repository:c:pull&&k").unwrap();
        assert!(matches!(p[0].1, Cow::Borrowed(_)), "plain values are not copied");
        assert_eq!(p[1], ("k".into(), "".into()));
        assert_eq!(form_pairs("a+b=c%2Bd").unwrap()[0], ("a b".into(), "c+d".into()));
    }
}
