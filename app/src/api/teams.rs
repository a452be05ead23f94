//! Teams and their members: server functions over [`crate::backend::services::teams`].

use leptos::prelude::*;

use crate::domain::dto::{TeamDetail, TeamSummary};
use crate::domain::{AppError, Role};

#[cfg(feature = "ssr")]
use crate::backend::services::teams;

/// Teams the caller belongs to (administrators: every team).
#[server(endpoint = "list_teams")]
pub async fn list_teams() -> Result<Vec<TeamSummary>, AppError> {
    super::context::serve(async |state, c| teams::list(state, c).await).await
}

#[server(endpoint = "get_team")]
pub async fn get_team(name: String) -> Result<TeamDetail, AppError> {
    super::context::serve(async |state, c| teams::get(state, c, &name).await).await
}

/// Creates a team with the caller as its owner.
#[server(endpoint = "create_team")]
pub async fn create_team(name: String, description: String) -> Result<String, AppError> {
    let new = teams::NewTeam {
        name,
        description,
        owner: None,
    };
    super::context::serve(async |state, c| teams::create(state, c, new).await).await
}

/// Renames a team and/or changes its description; returns the (new) name.
#[server(endpoint = "update_team")]
pub async fn update_team(
    name: String,
    new_name: Option<String>,
    description: Option<String>,
) -> Result<String, AppError> {
    super::context::serve(async |state, c| {
        teams::update(state, c, &name, new_name.as_deref(), description.as_deref()).await
    })
    .await
}

/// Adds a member or changes their role (a team always keeps an owner).
#[server(endpoint = "set_team_member")]
pub async fn set_team_member(team: String, user: String, role: Role) -> Result<(), AppError> {
    super::context::serve(async |state, c| teams::set_member(state, c, &team, &user, role).await).await
}

#[server(endpoint = "remove_team_member")]
pub async fn remove_team_member(team: String, user: String) -> Result<(), AppError> {
    super::context::serve(async |state, c| teams::remove_member(state, c, &team, &user).await).await
}

/// Deletes a team; its namespaces move to `transfer_to` (which the caller must manage too).
#[server(endpoint = "delete_team")]
pub async fn delete_team(name: String, transfer_to: Option<String>) -> Result<u64, AppError> {
    super::context::serve(async |state, c| teams::delete(state, c, &name, transfer_to.as_deref()).await).await
}
