//! Who is asking: passwords (local, or checked by an LDAP directory), application tokens,
//! refresh tokens, console sessions.
//!
//! Secrets are never stored or logged in the clear: passwords as argon2id PHC strings, tokens
//! and session ids as SHA-256 (they are 256-bit random values, so a fast hash is enough).

pub mod cache;
pub mod credentials;
pub mod directory;
pub mod ldap;
pub mod password;
pub mod secret;
pub mod session;
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
