//! The first administrator. Until one exists, `wharf serve` issues a one-time setup token at
//! start-up and writes it to `<data_dir>/setup-token` (mode 0600; the log names the file, never
//! the token). Signing up with it makes an administrator; the token is consumed in the same
//! transaction that creates the account, so two sign-ups racing with it make one administrator.
//! `wharf user add NAME --admin` is the other way, and ends any setup token.

use std::path::{Path, PathBuf};

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::secret;
use crate::backend::entity::setup_token;
use crate::backend::store::users;
use crate::domain::AppError;

/// The file the setup token is written to.
pub fn token_file(data_dir: &Path) -> PathBuf {
    data_dir.join("setup-token")
}

/// At start-up: when there is no enabled administrator, replaces any earlier setup token with
/// a new one, writes it to [`token_file`] and returns that path.
pub async fn issue_if_no_admin(db: &DatabaseConnection, data_dir: &Path) -> Result<Option<PathBuf>, AppError> {
    if users::enabled_admin_count(db).await? > 0 {
        let _ = std::fs::remove_file(token_file(data_dir));
        return Ok(None);
    }
    let token = secret::generate("wharf_setup_");
    let txn = crate::backend::db::begin_write(db).await?;
    setup_token::Entity::delete_many().exec(&*txn).await?;
    setup_token::ActiveModel {
        token_hash: Set(secret::digest(&token)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    let path = token_file(data_dir);
    crate::backend::secret_file::write(&path, token.as_bytes())
        .map_err(|e| crate::backend::internal("writing the setup token")(&e))?;
    txn.commit().await?;
    Ok(Some(path))
}

/// Inside the transaction that creates the first administrator: consumes `token`, or refuses
/// (wrong, already used, or an administrator exists already).
pub async fn consume(txn: &impl ConnectionTrait, token: &str) -> Result<(), AppError> {
    let refused = || {
        AppError::Forbidden(
            "that setup token is not valid (it works once, and only until an administrator exists)".into(),
        )
    };
    if users::enabled_admin_count(txn).await? > 0 {
        return Err(refused());
    }
    let deleted = setup_token::Entity::delete_many()
        .filter(setup_token::Column::TokenHash.eq(secret::digest(token.trim())))
        .exec(txn)
        .await?
        .rows_affected;
    if deleted != 1 {
        return Err(refused());
    }
    Ok(())
}

/// Ends every setup token (an administrator now exists).
pub async fn end_all(db: &impl ConnectionTrait) -> Result<(), AppError> {
    setup_token::Entity::delete_many().exec(db).await?;
    Ok(())
}
