//! Signing in through the LDAP directory: the directory checks the password; wharf then
//! creates or updates the user (email, administrator from `admin_group`) and, with
//! `sync_teams`, the team memberships that come from the user's groups. Local accounts with a
//! password never ask the directory.
//!
//! Credentials that outlive a sign-in (refresh tokens, console sessions, application tokens)
//! are re-checked with the directory at least every `recheck_secs` (default 60): a user removed from the
//! directory loses access, and one removed from the admin group loses admin rights, within
//! that (plus one registry token's lifetime).

use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use super::credentials::bad_credentials;
use super::ldap::{Directory, DirectoryUser, LdapError};
use super::Identity;
use crate::backend::entity::user;
use crate::backend::store::{activity, teams, users};
use crate::domain::{AppError, NamespaceName};

/// Checks `name` + `password` with the directory and returns who it is (the caller counts
/// failures against the client's backoff).
pub async fn authenticate(
    db: &DatabaseConnection,
    directory: &Directory,
    found: Option<&user::Model>,
    name: &str,
    password: &str,
    client_addr: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Identity, AppError> {
    // Only names wharf can use (they become personal namespaces) are looked up at all.
    let Ok(valid_name) = NamespaceName::try_from(name.to_owned()) else {
        activity::record_login_failure(db, None, name, "not a valid user name", client_addr).await;
        return Err(bad_credentials());
    };
    let entry = match directory.authenticate(name, password).await {
        Ok(entry) => entry,
        Err(LdapError::Rejected) => {
            let reason = "wrong password (directory)";
            activity::record_login_failure(db, found.map(|u| u.id), name, reason, client_addr).await;
            return Err(bad_credentials());
        }
        Err(e) => {
            tracing::warn!(error = %e, "LDAP sign-in");
            return Err(AppError::internal("the LDAP directory is unavailable"));
        }
    };
    let user = match found {
        Some(u) if u.disabled => {
            activity::record_login_failure(db, Some(u.id), name, "account disabled", client_addr).await;
            return Err(bad_credentials());
        }
        Some(u) => u.clone(),
        None => {
            let admin = directory
                .config
                .admin_group
                .as_deref()
                .is_some_and(|g| entry.in_group(g));
            users::create_from_directory(db, valid_name, entry.email.clone(), admin).await?
        }
    };
    let user = apply_directory_facts(db, directory, user, &entry).await?;
    directory.confirm(user.id, now).await;
    Ok(Identity::of_user(&user))
}

/// `user` as the directory says they are now, for a credential that outlives its sign-in:
/// local accounts (with a password) and installs without a directory pass unchanged; a
/// directory user is asked about at most every `recheck_secs`, refused once the directory
/// no longer has them, and has admin rights and teams brought up to date. While the directory
/// is unreachable the last answer stands (an outage is not a removal).
pub async fn recheck(state: &crate::backend::AppState, user: user::Model) -> Result<user::Model, AppError> {
    let Some(directory) = state.directory.as_deref() else {
        return Ok(user);
    };
    if user.password_hash.is_some() || directory.confirmed_recently(user.id, state.clock.now()).await {
        return Ok(user);
    }
    match directory.lookup(&user.name).await {
        Ok(Some(entry)) => {
            let user = apply_directory_facts(&state.db, directory, user, &entry).await?;
            directory.confirm(user.id, state.clock.now()).await;
            Ok(user)
        }
        Ok(None) => {
            tracing::info!(user = %user.name, "no longer in the directory: access refused");
            Err(AppError::Unauthorized(
                "your account is no longer in the directory; sign in again".into(),
            ))
        }
        Err(e) => {
            tracing::warn!(error = %e, user = %user.name, "LDAP re-check failed; keeping the last answer");
            Ok(user)
        }
    }
}

/// Email, administrator flag and directory team memberships, as the directory says now.
async fn apply_directory_facts(
    db: &DatabaseConnection,
    directory: &Directory,
    user: user::Model,
    entry: &DirectoryUser,
) -> Result<user::Model, AppError> {
    let config = &directory.config;
    let mut changed = false;
    let mut am: user::ActiveModel = user.clone().into();
    if entry.email.is_some() && entry.email != user.email {
        am.email = Set(entry.email.clone());
    }
    if let Some(group) = &config.admin_group {
        let admin = entry.in_group(group);
        if admin != user.admin {
            // The directory never takes the last administrator away.
            if admin || users::keep_an_admin(db, &user).await.is_ok() {
                am.admin = Set(admin);
                changed = true;
            } else {
                tracing::warn!(user = %user.name, "kept the last administrator despite the directory");
            }
        }
    }
    let user = if am.is_changed() { am.update(db).await? } else { user };
    if config.sync_teams {
        changed |= teams::sync_directory_memberships(db, &user, &entry.groups, config.default_role).await?;
    }
    if changed {
        crate::backend::store::auth_changes::record(db, "directory.sync").await?;
    }
    Ok(user)
}
