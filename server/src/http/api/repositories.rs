//! `/api/v1/repositories` and their tags. Repository names contain slashes: send them
//! percent-encoded in the path (`team%2Fapp`).

use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use wharf_app::backend::error::ApiError;
use wharf_app::backend::services::{browse, images, tags as tag_service};
use wharf_app::domain::dto::{ImageRow, Page, RepositoryDetail, RepositoryListItem, TagDeletion, TagListing, TagView};
use wharf_app::domain::image::ImageDetail;
use wharf_app::domain::{AppError, RepositorySort, TagSort};

use super::extract::{Json, Path, Query};
use super::{Api, Errors};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RepositoryQuery {
    /// Only this namespace (`_`: the global one).
    pub namespace: Option<String>,
    /// Part of the repository name.
    pub q: Option<String>,
    pub sort: Option<RepositorySort>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// Repositories you may pull from.
#[utoipa::path(get, path = "/api/v1/repositories", tag = "repositories", params(RepositoryQuery),
    responses((status = 200, body = Page<RepositoryListItem>), Errors))]
pub async fn list(
    api: Api,
    Query(q): Query<RepositoryQuery>,
) -> Result<axum::Json<Page<RepositoryListItem>>, ApiError> {
    let namespace = q.namespace.map(|n| if n == "_" { String::new() } else { n });
    api.call(async move |s, c| browse::list_repositories(s, c, namespace, q.q, q.sort, q.page, q.per_page).await)
        .await
        .map(axum::Json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TagQuery {
    /// Part of a tag name (for images: or a digest prefix of 7+ hex digits).
    pub q: Option<String>,
    pub sort: Option<TagSort>,
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
    /// Include signatures, attestations and SBOMs tagged cosign's way (`sha256-<hex>.sig`);
    /// hidden by default.
    pub accessories: Option<bool>,
}

impl From<TagQuery> for TagListing {
    fn from(q: TagQuery) -> TagListing {
        TagListing {
            q: q.q,
            sort: q.sort,
            page: q.page,
            per_page: q.per_page,
            accessories: q.accessories,
        }
    }
}

/// A repository, with the first page of its images.
#[utoipa::path(get, path = "/api/v1/repositories/{name}", tag = "repositories",
    params(("name" = String, Path, description = "Full repository name, percent-encoded (`team%2Fapp`)")),
    responses((status = 200, body = RepositoryDetail), Errors))]
pub async fn get(api: Api, Path(name): Path<String>) -> Result<axum::Json<RepositoryDetail>, ApiError> {
    api.call(async move |s, c| browse::get_repository(s, c, name, TagListing::default()).await)
        .await
        .map(axum::Json)
}

/// What to change about a repository; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepositoryChange {
    /// Markdown shown on the repository page.
    pub description: Option<String>,
    /// Star or unstar it for yourself.
    pub starred: Option<bool>,
}

/// Changes a repository's description, or stars it.
#[utoipa::path(patch, path = "/api/v1/repositories/{name}", tag = "repositories", request_body = RepositoryChange,
    params(("name" = String, Path, description = "Full repository name, percent-encoded")),
    responses((status = 200, body = RepositoryDetail), Errors))]
pub async fn update(
    api: Api,
    Path(name): Path<String>,
    Json(c): Json<RepositoryChange>,
) -> Result<axum::Json<RepositoryDetail>, ApiError> {
    api.call(async move |s, caller| {
        if let Some(d) = c.description {
            browse::set_repository_description(s, caller, name.clone(), d).await?;
        }
        if let Some(starred) = c.starred {
            browse::set_star(s, caller, name.clone(), starred).await?;
        }
        browse::get_repository(s, caller, name, TagListing::default()).await
    })
    .await
    .map(axum::Json)
}

/// A repository's tags (one row per tag), filtered, sorted and paginated.
#[utoipa::path(get, path = "/api/v1/repositories/{name}/tags", tag = "repositories",
    params(("name" = String, Path, description = "Full repository name, percent-encoded"), TagQuery),
    responses((status = 200, body = Page<TagView>), Errors))]
pub async fn tags(
    api: Api,
    Path(name): Path<String>,
    Query(q): Query<TagQuery>,
) -> Result<axum::Json<Page<TagView>>, ApiError> {
    api.call(async move |s, c| browse::list_tags(s, c, name, q.into()).await)
        .await
        .map(axum::Json)
}

/// A repository's images: one row per manifest digest with every tag on it and the kinds of
/// accessory attached to it, filtered, sorted and paginated (as the console shows them).
#[utoipa::path(get, path = "/api/v1/repositories/{name}/images", tag = "repositories",
    params(("name" = String, Path, description = "Full repository name, percent-encoded"), TagQuery),
    responses((status = 200, body = Page<ImageRow>), Errors))]
pub async fn images_list(
    api: Api,
    Path(name): Path<String>,
    Query(q): Query<TagQuery>,
) -> Result<axum::Json<Page<ImageRow>>, ApiError> {
    api.call(async move |s, c| browse::list_images(s, c, name, q.into()).await)
        .await
        .map(axum::Json)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteTag {
    /// The digest you expect the tag to point at: if it moved since, nothing is deleted (409).
    pub digest: Option<String>,
}

/// Deletes the image a tag points at, from the registry and from wharf. Every tag on that
/// same digest goes with it (the answer lists them).
#[utoipa::path(delete, path = "/api/v1/repositories/{name}/tags/{tag}", tag = "repositories",
    params(("name" = String, Path, description = "Full repository name, percent-encoded"), ("tag" = String, Path, description = "Tag"), DeleteTag),
    responses((status = 200, body = TagDeletion), (status = 409, description = "The tag moved to another digest", body = wharf_app::backend::error::ErrorBody), Errors))]
pub async fn delete_tag(
    api: Api,
    Path((name, tag)): Path<(String, String)>,
    Query(q): Query<DeleteTag>,
) -> Result<axum::Json<TagDeletion>, ApiError> {
    let digest = match q.digest {
        Some(d) if !d.trim().is_empty() => Some(d),
        Some(_) => return Err(ApiError(AppError::BadRequest("digest must not be empty".into()))),
        None => None,
    };
    api.call(async |s, c| tag_service::delete(s, c, &name, &tag, digest.as_deref()).await)
        .await
        .map(axum::Json)
}

/// What is inside the image a tag points to: platforms, layers, configuration, and the
/// signatures, attestations and SBOMs attached to it.
#[utoipa::path(get, path = "/api/v1/repositories/{name}/tags/{tag}", tag = "repositories",
    params(("name" = String, Path, description = "Full repository name, percent-encoded"), ("tag" = String, Path, description = "Tag")),
    responses((status = 200, body = ImageDetail), Errors))]
pub async fn get_tag(api: Api, Path((name, tag)): Path<(String, String)>) -> Result<axum::Json<ImageDetail>, ApiError> {
    api.call(async |s, c| images::by_tag(s, c, &name, &tag).await)
        .await
        .map(axum::Json)
}

/// What is inside a manifest the repository holds, by digest (tagged or not: a platform of an
/// index, a signature).
#[utoipa::path(get, path = "/api/v1/repositories/{name}/manifests/{digest}", tag = "repositories",
    params(("name" = String, Path, description = "Full repository name, percent-encoded"), ("digest" = String, Path, description = "`sha256:<hex>`")),
    responses((status = 200, body = ImageDetail), Errors))]
pub async fn manifest(
    api: Api,
    Path((name, digest)): Path<(String, String)>,
) -> Result<axum::Json<ImageDetail>, ApiError> {
    api.call(async |s, c| images::by_digest(s, c, &name, &digest).await)
        .await
        .map(axum::Json)
}

/// Deletes a tagged image by digest, from the registry and from wharf, with every tag on it
/// and the signatures, attestations and SBOMs attached to it (the answer lists them).
#[utoipa::path(delete, path = "/api/v1/repositories/{name}/manifests/{digest}", tag = "repositories",
    params(("name" = String, Path, description = "Full repository name, percent-encoded"), ("digest" = String, Path, description = "`sha256:<hex>`")),
    responses((status = 200, body = TagDeletion), Errors))]
pub async fn delete_manifest(
    api: Api,
    Path((name, digest)): Path<(String, String)>,
) -> Result<axum::Json<TagDeletion>, ApiError> {
    let digests = [digest];
    api.call(async |s, c| tag_service::delete_images(s, c, &name, &digests).await)
        .await
        .map(|mut done| axum::Json(done.remove(0)))
}
