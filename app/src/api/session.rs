//! Signing in and out of the console.

use leptos::prelude::*;

use crate::domain::dto::{CurrentUser, Viewer};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
fn to_dto(u: &crate::backend::entity::user::Model) -> CurrentUser {
    CurrentUser {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone(),
        admin: u.admin,
    }
}

/// The signed-in user, or `None`.
#[server(endpoint = "whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    super::context::with_status(
        async move {
            let (_, c) = super::context::caller().await?;
            Ok(c.current_user())
        }
        .await,
    )
}

/// Signs in with a user name and password and starts a new session (a fresh id every time).
#[server(endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<CurrentUser, AppError> {
    super::context::with_status(
        async move {
            use crate::backend::auth::{credentials, secret, session};
            let state = super::context::state()?;
            // Application tokens are for docker and the API, not for the console.
            if password.starts_with(secret::APP_TOKEN_PREFIX) {
                return Err(AppError::Unauthorized(
                    "sign in with your password, not an application token".into(),
                ));
            }
            let ip = super::context::client_ip();
            let attempt = credentials::authenticate(&state, username.trim(), &password, ip);
            let identity = match ip {
                Some(ip) => state.throttle.guard(ip, attempt).await?,
                None => attempt.await?,
            };
            if let Some(old) = super::context::session_cookie() {
                session::end(&state.db, &old).await?;
            }
            let value = session::create(&state.db, identity.user_id, state.config.session_ttl_hours).await?;
            super::context::set_cookie(&session::cookie(
                &value,
                state.config.secure_cookies(),
                state.config.session_ttl_hours * 3600,
            ))?;
            let user = crate::backend::store::users::require_by_name(&state.db, &identity.name).await?;
            Ok(to_dto(&user))
        }
        .await,
    )
}

/// Ends the current session.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    super::context::with_status(
        async move {
            use crate::backend::auth::session;
            let state = super::context::state()?;
            if let Some(c) = super::context::session_cookie() {
                session::end(&state.db, &c).await?;
            }
            super::context::set_cookie(&session::clearing_cookie(state.config.secure_cookies()))
        }
        .await,
    )
}

/// Who is looking and the console-wide settings: what every page needs to decide what to show
/// (the UI asks the same policy as the server with these).
#[server(endpoint = "viewer")]
pub async fn get_viewer() -> Result<Viewer, AppError> {
    super::context::run(async move {
        let (state, c) = super::context::caller().await?;
        let setup_required = crate::backend::store::users::enabled_admin_count(&state.db).await? == 0;
        Ok(Viewer {
            user: c.user.as_ref().map(to_dto),
            subject: c.subject,
            settings: crate::domain::dto::ConsoleSettings {
                signup_enabled: state.config.signup || setup_required,
                setup_required,
                anonymous_browsing: state.config.anonymous_browsing,
                registry_host: crate::backend::services::registry_host(&state).await?,
                policy: state.config.policy(),
            },
        })
    })
    .await
}

/// Creates an account and signs it in. Allowed when `signup` is on; with the one-time setup
/// token that `wharf serve` issues while no administrator exists, the account is the first
/// administrator (whether or not `signup` is on).
#[server(endpoint = "signup")]
pub async fn signup(
    username: String,
    email: String,
    password: String,
    password_again: String,
    setup_token: Option<String>,
) -> Result<CurrentUser, AppError> {
    super::context::run(async move {
        use crate::backend::auth::session;
        use crate::backend::store::users;
        let state = super::context::state()?;
        if password != password_again {
            return Err(AppError::BadRequest("the two passwords differ".into()));
        }
        let name = crate::domain::NamespaceName::try_from(username.trim().to_lowercase())?;
        let email = email.trim();
        let new = users::NewUser {
            name,
            email: (!email.is_empty()).then(|| email.to_owned()),
            password,
            admin: false,
        };
        let setup_token = setup_token.filter(|t| !t.trim().is_empty());
        let first_admin = setup_token.is_some();
        let user = match setup_token {
            Some(token) => users::create_first_admin(&state.db, new, &token).await?,
            None if state.config.signup => users::create(&state.db, new).await?,
            None => {
                return Err(AppError::Forbidden(
                    "sign-up is disabled; ask an administrator for an account".into(),
                ))
            }
        };
        let value = session::create(&state.db, user.id, state.config.session_ttl_hours).await?;
        super::context::set_cookie(&session::cookie(
            &value,
            state.config.secure_cookies(),
            state.config.session_ttl_hours * 3600,
        ))?;
        let addr = super::context::client_addr();
        crate::backend::store::activity::record(
            &state.db,
            crate::backend::store::activity::NewActivity {
                actor_user_id: Some(user.id),
                actor_name: &user.name,
                kind: "user.signed_up",
                target: &user.name,
                details: if first_admin {
                    "first administrator (setup token)"
                } else {
                    ""
                },
                client_addr: addr.as_deref(),
                ..Default::default()
            },
        )
        .await?;
        Ok(to_dto(&user))
    })
    .await
}
