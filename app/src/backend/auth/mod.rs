//! Who is asking: passwords (local, or checked by an LDAP directory), application tokens,
//! refresh tokens, console sessions.
//!
//! Secrets are never stored or logged in the clear: passwords as argon2id PHC strings, tokens
//! and session ids as SHA-256 (they are 256-bit random values, so a fast hash is enough).

pub mod backoff;
pub mod cache;
pub mod credentials;
pub mod directory;
pub mod ldap;
pub mod password;
pub mod secret;
pub mod session;
pub mod setup;
pub mod throttle;

use crate::authz::{Subject, UserSubject};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user_id: i64,
    pub name: String,
    pub admin: bool,
    /// Authenticated with a read-only application token.
    pub read_only: bool,
    /// The application token presented, if one was: what a credential made from this one
    /// (a refresh token, another application token) may never exceed.
    pub app_token: Option<TokenCredential>,
}

/// The application token behind an [`Identity`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCredential {
    pub id: i64,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Identity {
    /// A user signed in with their password (or a session, or a refresh token of one).
    pub fn of_user(user: &crate::backend::entity::user::Model) -> Identity {
        Identity {
            user_id: user.id,
            name: user.name.clone(),
            admin: user.admin,
            read_only: false,
            app_token: None,
        }
    }
}

impl Identity {
    pub fn subject(&self) -> Subject {
        Subject::User(UserSubject {
            id: self.user_id,
            admin: self.admin,
            disabled: false,
            read_only: self.read_only,
        })
    }
}
