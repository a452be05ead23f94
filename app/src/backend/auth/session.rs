//! Console sessions: a random cookie value; the database keeps only its SHA-256.
//! The cookie is HttpOnly and SameSite=Strict, and a new id is issued at every sign-in. Over
//! https it is Secure and named `__Host-wharf_session`: browsers then take it only from a
//! secure page of this very host, with `Path=/` and no `Domain`, so neither a sibling
//! subdomain nor a plain-http man in the middle can plant or overwrite it (session fixation).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::secret;
use crate::backend::entity::{session, user};
use crate::domain::AppError;

/// The cookie's name over plain http.
pub const COOKIE_NAME: &str = "wharf_session";
/// The cookie's name over https (see the module docs).
pub const SECURE_COOKIE_NAME: &str = "__Host-wharf_session";

/// The session cookie's name: `secure` is `Config::secure_cookies` (https by default). Only
/// this name is read, so a plain `wharf_session` cannot stand in for the prefixed one.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}

/// Starts a session at `now` and returns the cookie value.
pub async fn create(
    db: &DatabaseConnection,
    user_id: i64,
    ttl_hours: u64,
    now: chrono::DateTime<Utc>,
) -> Result<String, AppError> {
    let value = secret::generate("");
    session::ActiveModel {
        id: Set(secret::digest(&value)),
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::hours(ttl_hours.min(24 * 365) as i64)),
    }
    .insert(db)
    .await?;
    Ok(value)
}

/// The user behind a cookie value, if the session is live, the user enabled and (for a
/// directory user) still in the directory; a session that fails any of these is ended.
pub async fn user_for(state: &crate::backend::AppState, cookie_value: &str) -> Result<Option<user::Model>, AppError> {
    let db = &state.db;
    let Some(s) = session::Entity::find_by_id(secret::digest(cookie_value))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if s.expires_at <= state.clock.now() {
        session::Entity::delete_by_id(s.id).exec(db).await?;
        return Ok(None);
    }
    let Some(user) = user::Entity::find_by_id(s.user_id)
        .one(db)
        .await?
        .filter(|u| !u.disabled)
    else {
        return Ok(None);
    };
    match super::directory::recheck(state, user).await {
        Ok(user) => Ok(Some(user)),
        Err(AppError::Unauthorized(_)) => {
            session::Entity::delete_by_id(s.id).exec(db).await?;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

pub async fn end(db: &DatabaseConnection, cookie_value: &str) -> Result<(), AppError> {
    session::Entity::delete_by_id(secret::digest(cookie_value))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user (password change, disable).
pub async fn end_all(db: &impl sea_orm::ConnectionTrait, user_id: i64) -> Result<(), AppError> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The `Set-Cookie` header value for a new session. Never a `Domain`: `__Host-` forbids it,
/// and without one the cookie stays with this host.
pub fn cookie(value: &str, secure: bool, max_age_secs: u64) -> String {
    format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` header value that removes the session cookie.
pub fn clearing_cookie(secure: bool) -> String {
    cookie("", secure, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_cookies_carry_the_host_prefix_and_its_rules() {
        let c = cookie("abc", true, 3600);
        assert!(c.starts_with("__Host-wharf_session=abc;"), "{c}");
        let attrs: Vec<&str> = c.split("; ").skip(1).collect();
        // What browsers demand of a __Host- cookie: Secure, Path=/, no Domain.
        assert!(attrs.contains(&"Secure") && attrs.contains(&"Path=/"), "{c}");
        assert!(!c.to_ascii_lowercase().contains("domain"), "{c}");
        assert!(attrs.contains(&"HttpOnly") && attrs.contains(&"SameSite=Strict"), "{c}");
        assert!(clearing_cookie(true).starts_with("__Host-wharf_session=;"));
        assert!(clearing_cookie(true).contains("Max-Age=0"));
    }

    #[test]
    fn http_cookies_keep_the_plain_name() {
        let c = cookie("abc", false, 3600);
        assert!(c.starts_with("wharf_session=abc;"), "{c}");
        assert!(!c.contains("Secure"), "{c}");
        assert_eq!(cookie_name(false), COOKIE_NAME);
        assert_eq!(cookie_name(true), SECURE_COOKIE_NAME);
    }
}
