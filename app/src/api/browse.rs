//! Browsing images: dashboard, namespaces, repositories, tags, search, stars, and deleting a
//! tag. Everything is filtered by what the caller may pull; what may not be seen answers 404.

use leptos::prelude::*;

use crate::domain::dto::{
    Dashboard, NamespaceDetail, NamespaceSummary, Page, RepositoryDetail, RepositoryListItem, SearchResults,
    TagDeletion, TagListing,
};
use crate::domain::{AppError, RepositorySort};

#[cfg(feature = "ssr")]
use crate::backend::services::browse as svc;

/// The signed-in user's start page: their namespaces, starred and recently pushed
/// repositories, recent activity they may see.
#[server(endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    super::context::serve(async move |state, c| svc::get_dashboard(state, c).await).await
}

/// Namespaces the caller may browse, filtered by part of the name, one page at a time.
#[server(endpoint = "list_namespaces")]
pub async fn list_namespaces(
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<NamespaceSummary>, AppError> {
    super::context::serve(async move |state, c| svc::list_namespaces(state, c, q, page, per_page).await).await
}

/// One namespace (`""` is the global one).
#[server(endpoint = "get_namespace")]
pub async fn get_namespace(name: String) -> Result<NamespaceDetail, AppError> {
    super::context::serve(async move |state, c| svc::get_namespace(state, c, name).await).await
}

/// Repositories the caller may browse: in one namespace or all, filtered, sorted, paginated.
#[server(endpoint = "list_repositories")]
pub async fn list_repositories(
    namespace: Option<String>,
    q: Option<String>,
    sort: Option<RepositorySort>,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<RepositoryListItem>, AppError> {
    super::context::serve(async move |state, c| {
        svc::list_repositories(state, c, namespace, q, sort, page, per_page).await
    })
    .await
}

/// The repository page: details, rendered description, one page of its images.
#[server(endpoint = "get_repository")]
pub async fn get_repository(
    name: String,
    #[server(default)] listing: TagListing,
) -> Result<RepositoryDetail, AppError> {
    super::context::serve(async move |state, c| svc::get_repository(state, c, name, listing).await).await
}

/// Search as you type: namespaces, repositories and tags whose names contain `q`, among what
/// the caller may see (at most 10 of each).
#[server(endpoint = "search")]
pub async fn search(q: String) -> Result<SearchResults, AppError> {
    super::context::serve(async move |state, c| svc::search(state, c, q).await).await
}

/// Stars or unstars a repository the caller may see; returns the new state.
#[server(endpoint = "set_star")]
pub async fn set_star(repository: String, starred: bool) -> Result<bool, AppError> {
    super::context::serve(async move |state, c| svc::set_star(state, c, repository, starred).await).await
}

/// Changes a repository's markdown description (whoever may push to it).
#[server(endpoint = "set_repository_description")]
pub async fn set_repository_description(repository: String, description: String) -> Result<String, AppError> {
    super::context::serve(async move |state, c| {
        svc::set_repository_description(state, c, repository, description).await
    })
    .await
}

/// What deleting `repository:tag` removes (every tag on its digest), for the confirmation.
#[server(endpoint = "preview_tag_delete")]
pub async fn preview_tag_delete(repository: String, tag: String) -> Result<TagDeletion, AppError> {
    super::context::serve(async |state, c| {
        crate::backend::services::tags::preview_delete(state, c, &repository, &tag).await
    })
    .await
}

/// Deletes the image `repository:tag` points at from the registry (by digest, so every tag
/// on it goes). `digest` is the one the user confirmed: if the tag moved since, nothing is
/// deleted.
#[server(endpoint = "delete_tag")]
pub async fn delete_tag(repository: String, tag: String, digest: String) -> Result<TagDeletion, AppError> {
    super::context::serve(async |state, c| {
        crate::backend::services::tags::delete(state, c, &repository, &tag, Some(&digest)).await
    })
    .await
}

/// What deleting the images `digests` removes: each with every tag on it and what is
/// attached to it, for the confirmation.
#[server(endpoint = "preview_images_delete")]
pub async fn preview_images_delete(repository: String, digests: Vec<String>) -> Result<Vec<TagDeletion>, AppError> {
    super::context::serve(async |state, c| {
        crate::backend::services::tags::preview_images_delete(state, c, &repository, &digests).await
    })
    .await
}

/// Deletes the images `digests` from the registry, each with every tag on it and what is
/// attached to it.
#[server(endpoint = "delete_images")]
pub async fn delete_images(repository: String, digests: Vec<String>) -> Result<Vec<TagDeletion>, AppError> {
    super::context::serve(async |state, c| {
        crate::backend::services::tags::delete_images(state, c, &repository, &digests).await
    })
    .await
}

/// The image page: what is inside `reference` (`repo:tag` or `repo@sha256:…`) and what is
/// attached to it.
#[server(endpoint = "get_image")]
pub async fn get_image(reference: String) -> Result<crate::domain::image::ImageDetail, AppError> {
    use crate::backend::services::images;
    use crate::domain::image::ImageRef;
    super::context::serve(async move |state, c| match ImageRef::parse(&reference) {
        ImageRef::Tag { repository, tag } => images::by_tag(state, c, &repository, &tag).await,
        ImageRef::Digest { repository, digest } => images::by_digest(state, c, &repository, &digest).await,
    })
    .await
}
