//! Who an API request is from, and running a server function's body on their behalf.

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::Method;
use leptos::prelude::{provide_context, Owner, ScopedFuture};
use wharf_app::api::context::{session_cookie_in, ApiIdentity};
use wharf_app::backend::auth::{credentials, secret, session, Identity};
use wharf_app::backend::error::ApiError;
use wharf_app::backend::AppState;
use wharf_app::domain::AppError;

use crate::http::authorization::{self, Authorization};

/// An authenticated (or anonymous) API request, ready to run service calls.
pub struct Api {
    state: AppState,
    identity: Option<Identity>,
    headers: axum::http::HeaderMap,
    client: Option<SocketAddr>,
}

async fn identify(
    state: &AppState,
    parts: &Parts,
    client: Option<std::net::IpAddr>,
) -> Result<Option<Identity>, AppError> {
    match authorization::parse(&parts.headers)? {
        Some(Authorization::Bearer(token)) => credentials::authenticate_token(state, &token, client).await.map(Some),
        Some(Authorization::Basic { user, secret: given }) => {
            // Passwords stay with the console and docker login; automation uses tokens, which
            // can be read-only, expire, and be revoked one by one.
            if !given.starts_with(secret::APP_TOKEN_PREFIX) {
                return Err(AppError::Unauthorized(
                    "the API takes an application token, not a password: make one on your account page".into(),
                ));
            }
            // Only application tokens get here: the directory is never asked for a password.
            credentials::authenticate(state, &user, &given, client).await.map(Some)
        }
        None => match session_cookie_in(&parts.headers, state.config.secure_cookies()) {
            Some(cookie) => Ok(session::user_for(state, &cookie).await?.map(|u| Identity::of_user(&u))),
            None => Ok(None),
        },
    }
}

impl FromRequestParts<AppState> for Api {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let client = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        let ip = client.map(|c| state.client_ip(c.ip(), &parts.headers));
        let identity = match ip {
            // Credentials are limited per address like every other sign-in.
            Some(ip) if parts.headers.contains_key(axum::http::header::AUTHORIZATION) => {
                state.throttle.guard(ip, identify(state, parts, Some(ip))).await
            }
            _ => identify(state, parts, ip).await,
        }
        .map_err(ApiError)?;
        let reads = matches!(parts.method, Method::GET | Method::HEAD);
        if identity.as_ref().is_some_and(|i| i.read_only) && !reads {
            return Err(ApiError(AppError::Forbidden(
                "this application token is read-only: it may only use GET".into(),
            )));
        }
        Ok(Api {
            state: state.clone(),
            identity,
            headers: parts.headers.clone(),
            client,
        })
    }
}

impl Api {
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn is_admin(&self) -> bool {
        self.identity.as_ref().is_some_and(|i| i.admin)
    }

    /// Runs a server function (the console's service call) as this API caller: it sees the
    /// caller's identity, the client address for the audit log, and the shared state.
    pub async fn run<T>(
        &self,
        call: impl Future<Output = Result<T, AppError>> + Send + 'static,
    ) -> Result<T, ApiError> {
        let mut builder = axum::http::Request::builder();
        if let Some(h) = builder.headers_mut() {
            h.clone_from(&self.headers);
        }
        let (mut parts, ()) = builder
            .body(())
            .map_err(|e| ApiError(AppError::Internal(format!("request context: {e}"))))?
            .into_parts();
        if let Some(addr) = self.client {
            parts.extensions.insert(ConnectInfo(addr));
        }
        let state = self.state.clone();
        let identity = ApiIdentity(self.identity.clone());
        let owner = Owner::new();
        owner
            .with(|| {
                ScopedFuture::new(async move {
                    provide_context(state);
                    provide_context(parts);
                    provide_context(identity);
                    call.await
                })
            })
            .await
            .map_err(ApiError)
    }
}
