//! One's own account: signing in and out, signing up (the first administrator with the
//! one-time setup token), the profile and the password. The console's adapters turn the
//! session these return into a cookie; nothing here knows about HTTP.

use std::net::IpAddr;

use super::Caller;
use crate::backend::auth::{credentials, password, secret, session};
use crate::backend::db::begin_write;
use crate::backend::store::{activity, users};
use crate::backend::AppState;
use crate::domain::dto::{ConsoleSettings, CurrentUser, Viewer};
use crate::domain::AppError;

/// A new console session: who it is for and the secret value the cookie carries.
pub struct SignedIn {
    pub user: CurrentUser,
    pub session: String,
}

fn current(u: &crate::backend::entity::user::Model) -> CurrentUser {
    CurrentUser {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone(),
        admin: u.admin,
    }
}

/// Checks a user name and password (limited per client address like every sign-in) and starts
/// a new session, ending `previous` (a fresh session id at every sign-in).
pub async fn sign_in(
    state: &AppState,
    name: &str,
    password_given: &str,
    client: Option<IpAddr>,
    previous: Option<&str>,
) -> Result<SignedIn, AppError> {
    // Application tokens are for docker and the API, not for the console.
    if password_given.starts_with(secret::APP_TOKEN_PREFIX) {
        return Err(AppError::Unauthorized(
            "sign in with your password, not an application token".into(),
        ));
    }
    let attempt = credentials::authenticate(state, name.trim(), password_given, client);
    let identity = match client {
        Some(ip) => state.throttle.guard(ip, attempt).await?,
        None => attempt.await?,
    };
    if let Some(old) = previous {
        session::end(&state.db, old).await?;
    }
    let value = session::create(
        &state.db,
        identity.user_id,
        state.config.session_ttl_hours,
        state.clock.now(),
    )
    .await?;
    let user = users::require_by_name(&state.db, &identity.name).await?;
    Ok(SignedIn {
        user: current(&user),
        session: value,
    })
}

/// Ends a console session.
pub async fn sign_out(state: &AppState, session_value: Option<&str>) -> Result<(), AppError> {
    match session_value {
        Some(value) => session::end(&state.db, value).await,
        None => Ok(()),
    }
}

/// Who is looking and the console-wide settings: what every page needs to decide what to show.
pub async fn viewer(state: &AppState, c: &Caller) -> Result<Viewer, AppError> {
    let setup_required = users::enabled_admin_count(&state.db).await? == 0;
    Ok(Viewer {
        user: c.current_user(),
        subject: c.subject,
        settings: ConsoleSettings {
            signup_enabled: state.config.signup || setup_required,
            setup_required,
            anonymous_browsing: state.config.anonymous_browsing,
            registry_host: super::registry_host(state).await?,
            policy: state.config.policy(),
        },
    })
}

/// An account to create from the sign-up form.
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: String,
    pub password_again: String,
    /// The one-time setup token: the account becomes the first administrator.
    pub setup_token: Option<String>,
}

/// Creates an account and signs it in. Allowed when `signup` is on; with the setup token that
/// `wharf serve` issues while no administrator exists, the account is the first administrator
/// (whether or not `signup` is on).
pub async fn sign_up(state: &AppState, c: &Caller, new: NewAccount) -> Result<SignedIn, AppError> {
    if new.password != new.password_again {
        return Err(AppError::BadRequest("the two passwords differ".into()));
    }
    let name = crate::domain::names::name_for("user name", &new.username.trim().to_lowercase())?;
    let email = new.email.trim();
    let account = users::NewUser {
        name,
        email: (!email.is_empty()).then(|| email.to_owned()),
        password: new.password,
        admin: false,
    };
    let setup_token = new.setup_token.filter(|t| !t.trim().is_empty());
    let first_admin = setup_token.is_some();
    let user = match setup_token {
        Some(token) => users::create_first_admin(&state.db, account, &token).await?,
        None if state.config.signup => users::create(&state.db, account).await?,
        None => {
            return Err(AppError::Forbidden(
                "sign-up is disabled; ask an administrator for an account".into(),
            ))
        }
    };
    let value = session::create(&state.db, user.id, state.config.session_ttl_hours, state.clock.now()).await?;
    // The new user did it (the caller was anonymous until now).
    activity::record(
        &state.db,
        activity::NewActivity {
            actor_user_id: Some(user.id),
            actor_name: &user.name,
            kind: "user.signed_up",
            target: &user.name,
            details: if first_admin {
                "first administrator (setup token)"
            } else {
                ""
            },
            client_addr: c.client_addr.as_deref(),
            ..Default::default()
        },
    )
    .await?;
    Ok(SignedIn {
        user: current(&user),
        session: value,
    })
}

/// Changes the email address shown on the profile (empty removes it).
pub async fn update_profile(state: &AppState, c: &Caller, email: &str) -> Result<CurrentUser, AppError> {
    let user = c.require_user()?.clone();
    let u = users::set_email(&state.db, user, email).await?;
    Ok(current(&u))
}

/// Changes the caller's password after checking the current one. Every session of theirs
/// ends (devices too); the answer is a new session for the browser that asked.
pub async fn change_password(
    state: &AppState,
    c: &Caller,
    current_password: String,
    new_password: String,
    new_password_again: String,
) -> Result<String, AppError> {
    let user = c.require_user()?.clone();
    if new_password != new_password_again {
        return Err(AppError::BadRequest("the two new passwords differ".into()));
    }
    let ok = match user.password_hash.clone() {
        Some(phc) => password::verify(current_password, phc).await,
        None => false,
    };
    if !ok {
        return Err(AppError::BadRequest("the current password is wrong".into()));
    }
    let hash = users::hash_new_password(new_password).await?;
    let txn = begin_write(&state.db).await?;
    let user = users::set_password(&*txn, user, hash).await?;
    c.audit(&*txn, "user.password_changed", None, &user.name, "").await?;
    txn.commit().await?;
    session::create(&state.db, user.id, state.config.session_ttl_hours, state.clock.now()).await
}
