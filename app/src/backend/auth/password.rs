//! argon2id password hashing with the crate's defaults (m=19 MiB, t=2, p=1).

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

use crate::domain::AppError;

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 1024;

pub fn check_strength(password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::BadRequest(format!(
            "passwords need at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(AppError::BadRequest(format!(
            "passwords are limited to {MAX_PASSWORD_LEN} bytes"
        )));
    }
    Ok(())
}

/// A bound on password verifications running at once: each holds 19 MiB for tens of
/// milliseconds, so a flood of uncached sign-ins must queue, not exhaust memory.
pub struct VerificationSlots {
    slots: tokio::sync::Semaphore,
    wait: std::time::Duration,
}

impl VerificationSlots {
    pub fn new(max: usize, wait: std::time::Duration) -> VerificationSlots {
        VerificationSlots {
            slots: tokio::sync::Semaphore::new(max.max(1)),
            wait,
        }
    }

    /// A slot, or 503 when none frees up within the configured wait.
    pub async fn acquire(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        match tokio::time::timeout(self.wait, self.slots.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AppError::Unavailable(
                "too many sign-ins are being checked right now; try again in a moment".into(),
            )),
        }
    }
}

/// Hashes on a blocking thread: argon2 takes tens of milliseconds.
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| super::super::internal("hashing a password")(&e))
    })
    .await
    .map_err(|e| super::super::internal("hashing a password")(&e))?
}

/// Verifies on a blocking thread. A malformed stored hash counts as a mismatch (and is logged).
pub async fn verify(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || verify_blocking(&password, &phc))
        .await
        .unwrap_or(false)
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    match Argon2::default().verify_password(password.as_bytes(), phc) {
        Ok(()) => true,
        Err(argon2::password_hash::Error::PasswordInvalid) => false,
        Err(e) => {
            tracing::error!(error = %e, "stored password hash is unusable");
            false
        }
    }
}

/// Spends the same time as a real verification, so a missing account cannot be told apart
/// from a wrong password by timing.
pub async fn verify_dummy(password: String) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY
        .get_or_init(|| {
            Argon2::default()
                .hash_password(b"wharf-dummy-password")
                .map(|h| h.to_string())
                .unwrap_or_default()
        })
        .clone();
    let _ = verify(password, phc).await;
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = super::hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(super::verify("correct horse".into(), h.clone()).await);
        assert!(!super::verify("wrong horse".into(), h).await);
        assert!(!super::verify("x".into(), "not a hash".into()).await);
        assert!(super::check_strength("short").is_err());
    }
}
