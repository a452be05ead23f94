//! Application tokens (for CI and scripts) and devices (docker's refresh tokens). Everyone
//! manages their own; administrators and the operator name the user whose tokens they mean.

use super::Caller;
use crate::backend::db::begin_write;
use crate::backend::entity::{app_token, user};
use crate::backend::store::{auth_changes, tokens, users};
use crate::backend::AppState;
use crate::domain::dto::{AppTokenRow, CreatedAppToken, DeviceRow};
use crate::domain::AppError;

/// Longest expiry a token may be given, in days.
pub const MAX_EXPIRY_DAYS: u32 = 3650;

fn token_row(t: app_token::Model) -> AppTokenRow {
    AppTokenRow {
        name: t.name,
        read_only: t.read_only,
        created_at: t.created_at.to_rfc3339(),
        expires_at: t.expires_at.map(|d| d.to_rfc3339()),
        last_used_at: t.last_used_at.map(|d| d.to_rfc3339()),
    }
}

/// Whose tokens: the caller's own (`None`), or a named user's (administrators only).
async fn owner(state: &AppState, c: &Caller, of: Option<&str>) -> Result<user::Model, AppError> {
    match of.map(str::trim) {
        None => Ok(c.require_user()?.clone()),
        Some(name) if c.user.as_ref().is_some_and(|u| u.name == name) => Ok(c.require_user()?.clone()),
        Some(name) => {
            c.require_admin()?;
            users::require_by_name(&state.db, name).await
        }
    }
}

/// How the audit log names a token: `deploy`, or `alice/deploy` when it is someone else's.
fn audit_target(c: &Caller, owner: &user::Model, name: &str) -> String {
    if c.user_id() == Some(owner.id) {
        name.to_owned()
    } else {
        format!("{}/{name}", owner.name)
    }
}

pub async fn list(state: &AppState, c: &Caller, of: Option<&str>) -> Result<Vec<AppTokenRow>, AppError> {
    let owner = owner(state, c, of).await?;
    Ok(tokens::list_app_tokens(&state.db, owner.id)
        .await?
        .into_iter()
        .map(token_row)
        .collect())
}

/// A token to create.
#[derive(Debug, Clone, Default)]
pub struct NewToken {
    /// Whose: the caller's own when `None`.
    pub of: Option<String>,
    pub name: String,
    pub read_only: bool,
    /// `None`: never expires (unless made with an expiring token).
    pub expires_in_days: Option<u32>,
}

/// Creates an application token; the secret is in the answer and never shown again. A token
/// made with an application token is neither stronger nor longer-lived than it.
pub async fn create(state: &AppState, c: &Caller, new: NewToken) -> Result<CreatedAppToken, AppError> {
    let owner = owner(state, c, new.of.as_deref()).await?;
    if new.expires_in_days.is_some_and(|d| d > MAX_EXPIRY_DAYS) {
        return Err(AppError::BadRequest(format!(
            "tokens expire after at most {MAX_EXPIRY_DAYS} days"
        )));
    }
    if !new.read_only && matches!(&c.subject, crate::authz::Subject::User(u) if u.read_only) {
        return Err(AppError::Forbidden(
            "a read-only token can only make read-only tokens".into(),
        ));
    }
    let limit = c.credential.as_ref().and_then(|t| t.expires_at);
    let txn = begin_write(&state.db).await?;
    let (row, token) =
        tokens::create_app_token(&*txn, &owner, &new.name, new.read_only, new.expires_in_days, limit).await?;
    let access = if new.read_only { "read-only" } else { "full" };
    c.audit(
        &*txn,
        "token.created",
        None,
        &audit_target(c, &owner, &row.name),
        access,
    )
    .await?;
    txn.commit().await?;
    let host = super::registry_host(state).await?;
    Ok(CreatedAppToken {
        login_command: format!("docker login {host} -u {} --password-stdin", owner.name),
        token,
        row: token_row(row),
    })
}

/// Deletes an application token; it stops working on the next request everywhere, and so do
/// the devices signed in with it.
pub async fn revoke(state: &AppState, c: &Caller, of: Option<&str>, name: &str) -> Result<(), AppError> {
    let owner = owner(state, c, of).await?;
    let txn = begin_write(&state.db).await?;
    tokens::revoke_app_token(&*txn, owner.id, name).await?;
    c.audit(&*txn, "token.revoked", None, &audit_target(c, &owner, name), "")
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Where docker logged in with `docker login` (refresh tokens).
pub async fn devices(state: &AppState, c: &Caller, of: Option<&str>) -> Result<Vec<DeviceRow>, AppError> {
    let owner = owner(state, c, of).await?;
    Ok(tokens::list_refresh_tokens(&state.db, owner.id)
        .await?
        .into_iter()
        .map(|d| DeviceRow {
            id: d.id,
            client_id: d.client_id,
            user_agent: d.user_agent,
            created_at: d.created_at.to_rfc3339(),
            last_used_at: d.last_used_at.map(|t| t.to_rfc3339()),
            expires_at: d.expires_at.to_rfc3339(),
        })
        .collect())
}

/// Signs a device out: its refresh token stops working everywhere.
pub async fn revoke_device(state: &AppState, c: &Caller, of: Option<&str>, id: i64) -> Result<(), AppError> {
    let owner = owner(state, c, of).await?;
    let txn = begin_write(&state.db).await?;
    tokens::revoke_refresh_token(&*txn, owner.id, id, chrono::Utc::now()).await?;
    auth_changes::record(&*txn, "device.revoked").await?;
    c.audit(
        &*txn,
        "device.revoked",
        None,
        &audit_target(c, &owner, &id.to_string()),
        "",
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
