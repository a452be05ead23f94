//! Application tokens (for CI and scripts) and refresh tokens (docker's identity tokens from
//! the OAuth2 password flow). Both are stored as SHA-256 only and shown once at creation.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::backend::auth::{secret, Identity};
use crate::backend::entity::{app_token, refresh_token, user};
use crate::domain::AppError;

/// How long a refresh token lives unused before docker must log in again.
pub const REFRESH_TOKEN_DAYS: i64 = 90;

/// Creates an application token and returns (row, the token in clear — shown once).
/// `not_after`: the expiry of the credential the caller used to ask (an application token):
/// the new token expires no later (when no expiry is asked for, it gets exactly that one).
pub async fn create_app_token(
    db: &impl ConnectionTrait,
    user: &user::Model,
    name: &str,
    read_only: bool,
    expires_in_days: Option<u32>,
    not_after: Option<DateTime<Utc>>,
) -> Result<(app_token::Model, String), AppError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 {
        return Err(AppError::BadRequest("token names need 1 to 64 characters".into()));
    }
    if expires_in_days == Some(0) {
        return Err(AppError::BadRequest("expiry must be at least one day".into()));
    }
    let exists = app_token::Entity::find()
        .filter(app_token::Column::UserId.eq(user.id))
        .filter(app_token::Column::Name.eq(name))
        .one(db)
        .await?;
    if exists.is_some() {
        return Err(AppError::Conflict(format!("you already have a token named {name:?}")));
    }
    let now = Utc::now();
    let asked = expires_in_days.map(|d| now + chrono::Duration::days(i64::from(d)));
    let expires_at = match (asked, not_after) {
        (Some(asked), Some(limit)) if asked > limit => {
            return Err(AppError::Forbidden(format!(
                "a token made with an application token must expire no later than it ({})",
                limit.format("%Y-%m-%d %H:%M UTC")
            )))
        }
        (None, Some(limit)) => Some(limit),
        (asked, _) => asked,
    };
    let token = secret::generate(secret::APP_TOKEN_PREFIX);
    let row = app_token::ActiveModel {
        user_id: Set(user.id),
        name: Set(name.to_owned()),
        token_hash: Set(secret::digest(&token)),
        read_only: Set(read_only),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((row, token))
}

pub async fn list_app_tokens(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<app_token::Model>, AppError> {
    Ok(app_token::Entity::find()
        .filter(app_token::Column::UserId.eq(user_id))
        .order_by_asc(app_token::Column::Name)
        .all(db)
        .await?)
}

/// Deletes an application token; it stops working on the next request everywhere.
pub async fn revoke_app_token(db: &impl ConnectionTrait, user_id: i64, name: &str) -> Result<(), AppError> {
    let res = app_token::Entity::delete_many()
        .filter(app_token::Column::UserId.eq(user_id))
        .filter(app_token::Column::Name.eq(name))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::NotFound(format!("no token named {name:?}")));
    }
    super::auth_changes::record(db, "token.revoked").await?;
    Ok(())
}

/// Issues a refresh token for a device; returns it in clear (docker stores it). It carries
/// the rights and the lifetime of the credential it is made from: one made with a read-only
/// application token refreshes to pull only, one made with an expiring token expires with it,
/// and one made with any application token ends when that token is revoked.
pub async fn create_refresh_token(
    db: &impl ConnectionTrait,
    from: &Identity,
    client_id: &str,
    user_agent: &str,
    now: chrono::DateTime<Utc>,
) -> Result<String, AppError> {
    let token = secret::generate(secret::REFRESH_TOKEN_PREFIX);
    let mut expires_at = now + chrono::Duration::days(REFRESH_TOKEN_DAYS);
    if let Some(limit) = from.app_token.as_ref().and_then(|t| t.expires_at) {
        expires_at = expires_at.min(limit);
    }
    refresh_token::ActiveModel {
        user_id: Set(from.user_id),
        token_hash: Set(secret::digest(&token)),
        client_id: Set(client_id.chars().take(128).collect()),
        user_agent: Set(user_agent.chars().take(255).collect()),
        created_at: Set(now),
        last_used_at: Set(None),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        app_token_id: Set(from.app_token.as_ref().map(|t| t.id)),
        read_only: Set(from.read_only),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The live refresh token with this value, marked as used `now`. A token made from an
/// application token is live only while that token is (not revoked, not expired).
pub async fn use_refresh_token(
    db: &impl ConnectionTrait,
    token: &str,
    now: chrono::DateTime<Utc>,
) -> Result<Option<refresh_token::Model>, AppError> {
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(secret::digest(token)))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Ok(None);
    }
    if let Some(parent) = row.app_token_id {
        let live = app_token::Entity::find_by_id(parent)
            .one(db)
            .await?
            .is_some_and(|t| t.user_id == row.user_id && t.expires_at.is_none_or(|e| e > now));
        if !live {
            return Ok(None);
        }
    }
    let mut am: refresh_token::ActiveModel = row.into();
    am.last_used_at = Set(Some(now));
    Ok(Some(am.update(db).await?))
}

/// Ends every refresh token (device) of a user: a password change or reset, disabling.
pub async fn revoke_all_refresh_tokens(
    db: &impl ConnectionTrait,
    user_id: i64,
    at: DateTime<Utc>,
) -> Result<u64, AppError> {
    use sea_orm::sea_query::Expr;
    Ok(refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(at))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

pub async fn list_refresh_tokens(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<refresh_token::Model>, AppError> {
    Ok(refresh_token::Entity::find()
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .order_by_desc(refresh_token::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn revoke_refresh_token(
    db: &impl ConnectionTrait,
    user_id: i64,
    id: i64,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = refresh_token::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|r| r.user_id == user_id)
        .ok_or_else(|| AppError::NotFound("no such device".into()))?;
    let mut am: refresh_token::ActiveModel = row.into();
    am.revoked_at = Set(Some(at));
    am.update(db).await?;
    Ok(())
}
