//! `/api/v1/orphans/{name}/adopt`: administrators move orphan repositories into a namespace
//! (`GET /api/v1/registries` lists the orphans). Nothing else ever adopts them.

use serde::Deserialize;
use utoipa::ToSchema;
use wharf_app::backend::error::ApiError;
use wharf_app::backend::services::registries;
use wharf_app::domain::dto::Adoption;

use super::extract::{Json, Path};
use super::namespaces::real_name;
use super::{Api, Errors};

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptRequest {
    /// Create the namespace (private) in this team when it does not exist. When it exists,
    /// leave this out, or name the team that owns it.
    #[serde(default)]
    pub team: Option<String>,
}

/// Adopts every orphan repository named `{name}/…` into the namespace `{name}` (`_`: the
/// repositories without a slash, into the global namespace). Administrators only; each adopted
/// repository is recorded in the activity log.
#[utoipa::path(post, path = "/api/v1/orphans/{name}/adopt", tag = "registries", request_body = AdoptRequest,
    params(("name" = String, Path, description = "Namespace name (`_`: the global namespace)")),
    responses((status = 200, description = "Adopted (possibly none)", body = Adoption),
        (status = 409, description = "The namespace exists and belongs to another team than the one named", body = wharf_app::backend::error::ErrorBody),
        Errors))]
pub async fn adopt(
    api: Api,
    Path(name): Path<String>,
    Json(r): Json<AdoptRequest>,
) -> Result<axum::Json<Adoption>, ApiError> {
    let namespace = real_name(name);
    api.call(async |s, c| registries::adopt_orphans(s, c, &namespace, r.team.as_deref()).await)
        .await
        .map(axum::Json)
}
