//! Administering users: server functions over [`crate::backend::services::users`].

use leptos::prelude::*;

use crate::domain::dto::{Page, UserRow};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
use crate::backend::services::users;

#[server(endpoint = "list_users")]
pub async fn list_users(
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<UserRow>, AppError> {
    super::context::serve(async |state, c| users::list(state, c, q.as_deref(), page, per_page).await).await
}

#[server(endpoint = "create_user")]
pub async fn create_user(
    name: String,
    email: String,
    password: String,
    admin: Option<String>,
) -> Result<UserRow, AppError> {
    let new = users::NewUser {
        name,
        email,
        password,
        // A checkbox: present (any value but "false") means yes.
        admin: admin.is_some_and(|v| v != "false"),
    };
    super::context::serve(async |state, c| users::create(state, c, new).await).await
}

#[server(endpoint = "set_user_disabled")]
pub async fn set_user_disabled(name: String, disabled: bool) -> Result<UserRow, AppError> {
    super::context::serve(async |state, c| users::set_disabled(state, c, &name, disabled).await).await
}

#[server(endpoint = "set_user_admin")]
pub async fn set_user_admin(name: String, admin: bool) -> Result<UserRow, AppError> {
    super::context::serve(async |state, c| users::set_admin(state, c, &name, admin).await).await
}

/// Sets a new password for a user (their sessions end).
#[server(endpoint = "reset_password")]
pub async fn reset_password(name: String, password: String) -> Result<(), AppError> {
    super::context::serve(async |state, c| users::reset_password(state, c, &name, password).await).await
}
