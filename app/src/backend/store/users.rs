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

/// Creates a user and their personal namespace (private) in one transaction.
pub async fn create(db: &DatabaseConnection, new: NewUser) -> Result<user::Model, AppError> {
    password::check_strength(&new.password)?;
    if let Some(e) = &new.email {
        if !e.contains('@') || e.len() > 255 {
            return Err(AppError::BadRequest(format!("{e:?} is not an email address")));
        }
    }
    let hash = password::hash(new.password).await?;
    let name = new.name.to_string();
    let txn = crate::backend::db::begin_write(db).await?;
    if namespace::Entity::find()
        .filter(namespace::Column::Name.eq(&name))
        .one(&*txn)
        .await?
        .is_some()
        || find_by_name(&*txn, &name).await?.is_some()
    {
        return Err(AppError::Conflict(format!("the name {name:?} is already taken")));
    }
    let now = Utc::now();
    let user = user::ActiveModel {
        name: Set(name.clone()),
        email: Set(new.email),
        password_hash: Set(Some(hash)),
        admin: Set(new.admin),
        disabled: Set(false),
        failed_logins: Set(0),
        locked_until: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    let ns = namespace::ActiveModel {
        name: Set(name),
        kind: Set(NamespaceKindName::Personal.as_str().into()),
        team_id: Set(None),
        owner_user_id: Set(Some(user.id)),
        visibility: Set(Visibility::Private.as_str().into()),
        description: Set(String::new()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    super::repositories::adopt_orphans(&*txn, &ns).await?;
    super::auth_changes::record(&*txn, "user.created").await?;
    txn.commit().await?;
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

/// Enables or disables a user; every wharf process drops its cached credentials.
pub async fn set_disabled(db: &DatabaseConnection, user: user::Model, disabled: bool) -> Result<user::Model, AppError> {
    let txn = crate::backend::db::begin_write(db).await?;
    let mut am: user::ActiveModel = user.into();
    am.disabled = Set(disabled);
    let user = am.update(&*txn).await?;
    super::auth_changes::record(&*txn, if disabled { "user.disabled" } else { "user.enabled" }).await?;
    txn.commit().await?;
    Ok(user)
}
