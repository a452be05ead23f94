//! `/api/v1/teams`: teams and their members.

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use wharf_app::backend::error::ApiError;
use wharf_app::backend::services::teams;
use wharf_app::domain::dto::{Page, TeamDetail, TeamSummary};
use wharf_app::domain::Role;

use super::extract::{Json, Path, Query};
use super::{page_of, Api, Errors, Paging};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeamQuery {
    /// Part of the team name.
    pub q: Option<String>,
    /// Only teams you belong to.
    #[serde(default)]
    pub mine: bool,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Teams you can see, by name.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", params(TeamQuery),
    responses((status = 200, body = Page<TeamSummary>), Errors))]
pub async fn list(api: Api, Query(q): Query<TeamQuery>) -> Result<axum::Json<Page<TeamSummary>>, ApiError> {
    let text = q.q.unwrap_or_default().trim().to_lowercase();
    let all = api
        .call(async |s, c| teams::list(s, c).await)
        .await?
        .into_iter()
        .filter(|t| text.is_empty() || t.name.contains(&text))
        .filter(|t| !q.mine || t.my_role.is_some())
        .collect();
    let paging = Paging {
        page: q.page,
        per_page: q.per_page,
    };
    page_of(all, &paging).map(axum::Json)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// Creates a team; you become its owner.
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = NewTeam,
    responses((status = 201, body = TeamDetail), (status = 409, description = "The name is taken", body = wharf_app::backend::error::ErrorBody), Errors))]
pub async fn create(api: Api, Json(t): Json<NewTeam>) -> Result<(StatusCode, axum::Json<TeamDetail>), ApiError> {
    let new = teams::NewTeam {
        name: t.name,
        description: t.description,
        owner: None,
    };
    let detail = api
        .call(async |s, c| {
            let name = teams::create(s, c, new).await?;
            teams::get(s, c, &name).await
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(detail)))
}

/// A team, its members and namespaces.
#[utoipa::path(get, path = "/api/v1/teams/{name}", tag = "teams",
    params(("name" = String, Path, description = "Team name")),
    responses((status = 200, body = TeamDetail), Errors))]
pub async fn get(api: Api, Path(name): Path<String>) -> Result<axum::Json<TeamDetail>, ApiError> {
    api.call(async |s, c| teams::get(s, c, &name).await)
        .await
        .map(axum::Json)
}

/// What to change about a team; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamChange {
    /// A new name.
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Renames a team or changes its description (team owners and administrators).
#[utoipa::path(patch, path = "/api/v1/teams/{name}", tag = "teams", request_body = TeamChange,
    params(("name" = String, Path, description = "Team name")),
    responses((status = 200, body = TeamDetail), Errors))]
pub async fn update(
    api: Api,
    Path(name): Path<String>,
    Json(c): Json<TeamChange>,
) -> Result<axum::Json<TeamDetail>, ApiError> {
    api.call(async |s, caller| {
        let name = teams::update(s, caller, &name, c.name.as_deref(), c.description.as_deref()).await?;
        teams::get(s, caller, &name).await
    })
    .await
    .map(axum::Json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteTeam {
    /// Move the team's namespaces to this team (which you must manage too); without it, a
    /// team that still has namespaces is not deleted.
    pub transfer_to: Option<String>,
}

/// Deletes a team.
#[utoipa::path(delete, path = "/api/v1/teams/{name}", tag = "teams",
    params(("name" = String, Path, description = "Team name"), DeleteTeam),
    responses((status = 204, description = "Deleted"), (status = 409, description = "The team still has namespaces", body = wharf_app::backend::error::ErrorBody), Errors))]
pub async fn delete(api: Api, Path(name): Path<String>, Query(q): Query<DeleteTeam>) -> Result<StatusCode, ApiError> {
    api.call(async |s, c| teams::delete(s, c, &name, q.transfer_to.as_deref()).await)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    pub role: Role,
}

/// Adds a member or changes their role.
#[utoipa::path(put, path = "/api/v1/teams/{name}/members/{user}", tag = "teams", request_body = Membership,
    params(("name" = String, Path, description = "Team name"), ("user" = String, Path, description = "User name")),
    responses((status = 204, description = "Done"), Errors))]
pub async fn set_member(
    api: Api,
    Path((team, user)): Path<(String, String)>,
    Json(m): Json<Membership>,
) -> Result<StatusCode, ApiError> {
    api.call(async |s, c| teams::set_member(s, c, &team, &user, m.role).await)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member.
#[utoipa::path(delete, path = "/api/v1/teams/{name}/members/{user}", tag = "teams",
    params(("name" = String, Path, description = "Team name"), ("user" = String, Path, description = "User name")),
    responses((status = 204, description = "Removed"), Errors))]
pub async fn remove_member(api: Api, Path((team, user)): Path<(String, String)>) -> Result<StatusCode, ApiError> {
    api.call(async |s, c| teams::remove_member(s, c, &team, &user).await)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
