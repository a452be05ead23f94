//! Who an API request is from, and running a service on their behalf.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::Method;
use wharf_app::api::context::session_cookie_in;
use wharf_app::backend::auth::{credentials, secret, session, Identity};
use wharf_app::backend::error::ApiError;
use wharf_app::backend::services::Caller;
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
        Some(Authorization::Basic(basic)) => {
            // Passwords stay with the console and docker login; automation uses tokens, which
            // can be read-only, expire, and be revoked one by one.
            if !basic.secret().starts_with(secret::APP_TOKEN_PREFIX) {
                return Err(AppError::Unauthorized(
                    "the API takes an application token, not a password: make one on your account page".into(),
                ));
            }
            // Only application tokens get here: the directory is never asked for a password.
            credentials::authenticate(state, basic.user(), basic.secret(), client)
                .await
                .map(Some)
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

    /// Who this request is from, for the service layer.
    pub async fn caller(&self) -> Result<Caller, AppError> {
        let addr = self
            .client
            .map(|c| self.state.client_ip(c.ip(), &self.headers).to_string());
        Caller::for_identity(&self.state, self.identity.clone(), addr).await
    }

    /// Runs a service as this API caller. A change it made (a revoked token, a new member)
    /// holds for this process's very next docker request, not only after the next poll of
    /// the change log.
    pub async fn call<T>(
        &self,
        service: impl AsyncFnOnce(&AppState, &Caller) -> Result<T, AppError>,
    ) -> Result<T, ApiError> {
        let caller = self.caller().await?;
        let result = service(&self.state, &caller).await;
        if result.is_ok() {
            self.state.auth_cache.sync(&self.state.db).await;
        }
        result.map_err(ApiError)
    }
}
