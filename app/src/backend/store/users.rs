//! Users and their personal namespaces.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use crate::backend::auth::password;
use crate::backend::entity::{namespace, user};
use crate::domain::{AppError, NamespaceKindName, NamespaceName, Visibility};

pub struct NewUser {
    pub name: NamespaceName,
    pub email: Option<String>,
    pub password: String,
    pub admin: bool,
}

impl NewUser {
    /// Checks the email and the password's strength and hashes it (argon2id, tens of
    /// milliseconds: done before any write transaction opens).
    pub async fn prepare(self) -> Result<PreparedUser, AppError> {
        password::check_strength(&self.password)?;
        let email = checked_email(self.email)?;
        let password_hash = password::hash(self.password).await?;
        Ok(PreparedUser {
            name: self.name,
            email,
            password_hash,
            admin: self.admin,
        })
    }
}

/// A [`NewUser`] checked and with its password hashed, ready for [`insert`].
pub struct PreparedUser {
    name: NamespaceName,
    email: Option<String>,
    password_hash: String,
    admin: bool,
}

/// Creates a user and their personal namespace (private) in one transaction.
pub async fn create(db: &DatabaseConnection, new: NewUser) -> Result<user::Model, AppError> {
    let new = new.prepare().await?;
    let txn = crate::backend::db::begin_write(db).await?;
    let user = insert(&*txn, new).await?;
    txn.commit().await?;
    Ok(user)
}

/// Inside a write transaction: the user row and its private personal namespace.
pub async fn insert(txn: &impl ConnectionTrait, new: PreparedUser) -> Result<user::Model, AppError> {
    let user = insert_in(txn, new.name, new.email, Some(new.password_hash), new.admin).await?;
    if new.admin {
        // An administrator exists now: the first-start setup token has done its work.
        crate::backend::auth::setup::end_all(txn).await?;
    }
    Ok(user)
}

/// Creates a user the LDAP directory vouches for: no local password (the directory checks
/// it at every sign-in), and their personal namespace.
pub async fn create_from_directory(
    db: &DatabaseConnection,
    name: NamespaceName,
    email: Option<String>,
    admin: bool,
) -> Result<user::Model, AppError> {
    let email = email.filter(|e| e.contains('@') && e.len() <= 255);
    insert_with_namespace(db, name, email, None, admin).await
}

/// Creates the first administrator with the one-time setup token (see
/// [`crate::backend::auth::setup`]): the token is consumed in the transaction that creates
/// the account.
pub async fn create_first_admin(
    db: &DatabaseConnection,
    new: NewUser,
    setup_token: &str,
) -> Result<user::Model, AppError> {
    let new = new.prepare().await?;
    let txn = crate::backend::db::begin_write(db).await?;
    crate::backend::auth::setup::consume(&*txn, setup_token).await?;
    let user = insert_in(&*txn, new.name, new.email, Some(new.password_hash), true).await?;
    txn.commit().await?;
    Ok(user)
}

fn checked_email(email: Option<String>) -> Result<Option<String>, AppError> {
    if let Some(e) = &email {
        if !e.contains('@') || e.len() > 255 {
            return Err(AppError::BadRequest(format!("{e:?} is not an email address")));
        }
    }
    Ok(email)
}

/// The user row and its private personal namespace, in one transaction.
async fn insert_with_namespace(
    db: &DatabaseConnection,
    name: NamespaceName,
    email: Option<String>,
    password_hash: Option<String>,
    admin: bool,
) -> Result<user::Model, AppError> {
    let txn = crate::backend::db::begin_write(db).await?;
    let user = insert_in(&*txn, name, email, password_hash, admin).await?;
    if admin {
        // An administrator exists now: the first-start setup token has done its work.
        crate::backend::auth::setup::end_all(&*txn).await?;
    }
    txn.commit().await?;
    Ok(user)
}

async fn insert_in(
    txn: &impl ConnectionTrait,
    name: NamespaceName,
    email: Option<String>,
    password_hash: Option<String>,
    admin: bool,
) -> Result<user::Model, AppError> {
    let name = name.to_string();
    if namespace::Entity::find()
        .filter(namespace::Column::Name.eq(&name))
        .one(txn)
        .await?
        .is_some()
        || find_by_name(txn, &name).await?.is_some()
    {
        return Err(AppError::Conflict(format!("the name {name:?} is already taken")));
    }
    let now = Utc::now();
    let user = user::ActiveModel {
        name: Set(name.clone()),
        email: Set(email),
        password_hash: Set(password_hash),
        admin: Set(admin),
        disabled: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    namespace::ActiveModel {
        name: Set(name),
        kind: Set(NamespaceKindName::Personal),
        team_id: Set(None),
        owner_user_id: Set(Some(user.id)),
        visibility: Set(Visibility::Private),
        description: Set(String::new()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    // Orphans under the user's name stay orphans: an administrator adopts them, if anyone.
    super::auth_changes::record(txn, "user.created").await?;
    Ok(user)
}

pub async fn find_by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<user::Model>, AppError> {
    Ok(user::Entity::find().filter(user::Column::Name.eq(name)).one(db).await?)
}

pub async fn require_by_name(db: &impl ConnectionTrait, name: &str) -> Result<user::Model, AppError> {
    find_by_name(db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no user named {name:?}")))
}

pub async fn count(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    Ok(user::Entity::find().count(db).await?)
}

/// Enables or disables a user; every wharf process drops its cached credentials, and a
/// disabled user's devices (refresh tokens) end. Never disables the last enabled administrator.
/// A disabled user's console sessions end too. Inside a write transaction.
pub async fn set_disabled(
    txn: &crate::backend::db::WriteTxn,
    user: user::Model,
    disabled: bool,
) -> Result<user::Model, AppError> {
    let user = if disabled {
        keep_an_admin_locked(txn, user.id).await?
    } else {
        user
    };
    let mut am: user::ActiveModel = user.into();
    am.disabled = Set(disabled);
    let user = am.update(&**txn).await?;
    if disabled {
        super::tokens::revoke_all_refresh_tokens(&**txn, user.id, Utc::now()).await?;
        crate::backend::auth::session::end_all(&**txn, user.id).await?;
    }
    super::auth_changes::record(&**txn, if disabled { "user.disabled" } else { "user.enabled" }).await?;
    Ok(user)
}

/// Enabled administrators: wharf never lets this drop to zero.
pub async fn enabled_admin_count(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    Ok(user::Entity::find()
        .filter(user::Column::Admin.eq(true))
        .filter(user::Column::Disabled.eq(false))
        .count(db)
        .await?)
}

/// Refuses a change that would leave no enabled administrator (a check outside any
/// transaction: for decisions that do not write, see [`keep_an_admin_locked`] for those that do).
pub async fn keep_an_admin(db: &impl ConnectionTrait, target: &user::Model) -> Result<(), AppError> {
    if target.admin && !target.disabled && enabled_admin_count(db).await? <= 1 {
        return Err(last_admin(&target.name));
    }
    Ok(())
}

fn last_admin(name: &str) -> AppError {
    AppError::Conflict(format!(
        "{name} is the last administrator: make someone else an administrator first"
    ))
}

/// Inside a write transaction, before disabling or demoting user `id`: locks the enabled
/// administrators' rows (PostgreSQL; SQLite's write transactions are serial already), reads
/// the target again, and refuses if it is the last one. Two administrators disabling each
/// other at the same moment thus leave one, not none.
async fn keep_an_admin_locked(txn: &crate::backend::db::WriteTxn, id: i64) -> Result<user::Model, AppError> {
    use sea_orm::QuerySelect;
    let mut admins = user::Entity::find()
        .filter(user::Column::Admin.eq(true))
        .filter(user::Column::Disabled.eq(false));
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        admins = admins.lock_exclusive();
    }
    let admins = admins.all(&**txn).await?;
    let target = find_by_id(&**txn, id)
        .await?
        .ok_or_else(|| AppError::NotFound("that user no longer exists".into()))?;
    if target.admin && !target.disabled && admins.len() <= 1 {
        return Err(last_admin(&target.name));
    }
    Ok(target)
}

/// Grants or takes away administrator rights (never the last enabled administrator's).
/// Inside a write transaction.
pub async fn set_admin(
    txn: &crate::backend::db::WriteTxn,
    user: user::Model,
    admin: bool,
) -> Result<user::Model, AppError> {
    let user = if admin {
        user
    } else {
        keep_an_admin_locked(txn, user.id).await?
    };
    let mut am: user::ActiveModel = user.into();
    am.admin = Set(admin);
    let user = am.update(&**txn).await?;
    super::auth_changes::record(&**txn, "user.admin").await?;
    Ok(user)
}

/// Checks a new password's strength and hashes it (before any write transaction opens).
pub async fn hash_new_password(new_password: String) -> Result<String, AppError> {
    password::check_strength(&new_password)?;
    password::hash(new_password).await
}

/// Sets a new password (hashed by [`hash_new_password`]) and ends every session and refresh
/// token (device) of the user. Inside a write transaction.
pub async fn set_password(
    txn: &impl ConnectionTrait,
    user: user::Model,
    hash: String,
) -> Result<user::Model, AppError> {
    let mut am: user::ActiveModel = user.into();
    am.password_hash = Set(Some(hash));
    let user = am.update(txn).await?;
    // Whoever knew the old password may have signed in a device or a browser with it.
    super::tokens::revoke_all_refresh_tokens(txn, user.id, Utc::now()).await?;
    crate::backend::auth::session::end_all(txn, user.id).await?;
    super::auth_changes::record(txn, "user.password").await?;
    Ok(user)
}

/// Changes the email address (empty: none).
pub async fn set_email(db: &impl ConnectionTrait, user: user::Model, email: &str) -> Result<user::Model, AppError> {
    let email = email.trim();
    if !email.is_empty() && (!email.contains('@') || email.len() > 255 || email.contains(char::is_whitespace)) {
        return Err(AppError::BadRequest(format!("{email:?} is not an email address")));
    }
    let mut am: user::ActiveModel = user.into();
    am.email = Set((!email.is_empty()).then(|| email.to_owned()));
    Ok(am.update(db).await?)
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<user::Model>, AppError> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// One page of users, by name; `query` matches part of the name or email.
pub async fn page(
    db: &impl ConnectionTrait,
    query: Option<&str>,
    page: u64,
    per_page: u64,
) -> Result<(Vec<user::Model>, u64), AppError> {
    use sea_orm::{Condition, QueryOrder, QuerySelect};
    let mut q = user::Entity::find().order_by_asc(user::Column::Name);
    if let Some(text) = query.map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = super::like_pattern(text);
        q = q.filter(
            Condition::any()
                .add(user::Column::Name.like(pattern.clone()))
                .add(user::Column::Email.like(pattern)),
        );
    }
    let total = q.clone().count(db).await?;
    let rows = q.offset((page - 1) * per_page).limit(per_page).all(db).await?;
    Ok((rows, total))
}
