//! Managing namespaces: server functions over [`crate::backend::services::namespaces`].

use leptos::prelude::*;

use crate::domain::{AppError, Visibility};

#[cfg(feature = "ssr")]
use crate::backend::services::namespaces;

/// Creates a namespace owned by `team` (admins and that team's owners).
#[server(endpoint = "create_namespace")]
pub async fn create_namespace(
    team: String,
    name: String,
    visibility: Visibility,
    description: String,
) -> Result<String, AppError> {
    let new = namespaces::NewNamespace {
        team,
        name,
        visibility,
        description,
    };
    super::context::serve(async |state, c| namespaces::create(state, c, new).await).await
}

/// Changes visibility and/or description.
#[server(endpoint = "update_namespace")]
pub async fn update_namespace(
    name: String,
    visibility: Option<Visibility>,
    description: Option<String>,
) -> Result<(), AppError> {
    super::context::serve(async |state, c| {
        namespaces::update(state, c, &name, visibility, description.as_deref()).await
    })
    .await
}

/// Moves a team namespace to another team the caller manages.
#[server(endpoint = "transfer_namespace")]
pub async fn transfer_namespace(name: String, team: String) -> Result<(), AppError> {
    super::context::serve(async |state, c| namespaces::transfer(state, c, &name, &team).await).await
}

/// Deletes an empty team namespace (personal and global ones cannot be deleted).
#[server(endpoint = "delete_namespace")]
pub async fn delete_namespace(name: String) -> Result<(), AppError> {
    super::context::serve(async |state, c| namespaces::delete(state, c, &name).await).await
}
