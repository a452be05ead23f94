//! A namespace's tag retention: its policy, the preview of what it deletes, and runs. Server
//! functions over [`crate::backend::services::retention`]; arguments travel as JSON (pattern
//! lists do not survive form encoding).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::retention::{RetentionPlan, RetentionRules, RetentionRunRow, RetentionSettings, StorageReport};
use crate::domain::AppError;

#[cfg(feature = "ssr")]
use crate::backend::services::retention as svc;

/// The namespace's policy, overrides and last runs.
#[server(endpoint = "get_retention")]
pub async fn get_retention(namespace: String) -> Result<RetentionSettings, AppError> {
    super::context::serve(async move |state, c| svc::show(state, c, &namespace).await).await
}

/// Saves the namespace's policy, or `repository`'s override.
#[server(endpoint = "save_retention", input = Json)]
pub async fn save_retention(
    namespace: String,
    repository: Option<String>,
    rules: RetentionRules,
) -> Result<RetentionSettings, AppError> {
    super::context::serve(async move |state, c| svc::set(state, c, &namespace, repository.as_deref(), rules).await)
        .await
}

/// Removes the namespace's policy, or `repository`'s override.
#[server(endpoint = "clear_retention", input = Json)]
pub async fn clear_retention(namespace: String, repository: Option<String>) -> Result<RetentionSettings, AppError> {
    super::context::serve(async move |state, c| svc::clear(state, c, &namespace, repository.as_deref()).await).await
}

/// What `rules` (not yet saved) would delete now, with every other policy as stored.
#[server(endpoint = "preview_retention", input = Json)]
pub async fn preview_retention(
    namespace: String,
    repository: Option<String>,
    rules: RetentionRules,
) -> Result<RetentionPlan, AppError> {
    let draft = svc::Draft { repository, rules };
    super::context::serve(async move |state, c| svc::plan(state, c, &namespace, Some(draft)).await).await
}

/// Disk space per repository, and what garbage collection would free after the plan.
#[server(endpoint = "retention_storage")]
pub async fn retention_storage(namespace: String) -> Result<StorageReport, AppError> {
    super::context::serve(async move |state, c| svc::storage(state, c, &namespace).await).await
}

/// Runs the saved policy now (`confirm`: even above the delete share).
#[server(endpoint = "run_retention", input = Json)]
pub async fn run_retention(namespace: String, confirm: bool) -> Result<RetentionRunRow, AppError> {
    super::context::serve(async move |state, c| svc::run(state, c, &namespace, confirm).await).await
}
