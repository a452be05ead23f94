//! Browsing images: dashboard, namespaces, repositories, tags, search, stars, and deleting a
//! tag. Everything is filtered by what the caller may pull; what may not be seen answers 404.

use leptos::prelude::*;

use crate::domain::dto::{
    Dashboard, NamespaceDetail, NamespaceSummary, Page, RepositoryDetail, RepositoryListItem, SearchResults,
    TagDeletion,
};
use crate::domain::{AppError, RepositorySort, TagSort};

/// The signed-in user's start page: their namespaces, starred and recently pushed
/// repositories, recent activity they may see.
#[server(endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    super::context::run(async move {
        use crate::backend::store::{activity, repositories, stars};
        let c = super::context::caller().await?;
        let visible = c.visible_namespaces().await?;
        let ids: Vec<i64> = visible.iter().map(|(n, _)| n.id).collect();
        let db = &c.state.db;
        // "Mine": namespaces I own or am a member of; anonymous visitors see the public ones.
        let namespaces: Vec<NamespaceSummary> = visible
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| c.user.is_none() || n.my_role.is_some())
            .collect();
        let starred = match c.user_id() {
            Some(uid) => {
                let starred_ids = stars::of_user(db, uid).await?;
                repositories::page(
                    db,
                    &repositories::RepositoryQuery {
                        namespace_ids: Some(&ids),
                        only_ids: Some(&starred_ids),
                        text: None,
                        sort: RepositorySort::Name,
                        page: 1,
                        per_page: 20,
                    },
                    Some(uid),
                )
                .await?
                .items
            }
            None => Vec::new(),
        };
        let recent = repositories::page(
            db,
            &repositories::RepositoryQuery {
                namespace_ids: Some(&ids),
                only_ids: None,
                text: None,
                sort: RepositorySort::Updated,
                page: 1,
                per_page: 10,
            },
            c.user_id(),
        )
        .await?
        .items;
        let activity = if c.user.is_some() {
            let q = activity::ActivityQuery {
                visible_namespaces: Some(&ids),
                addresses: activity::AddressView::for_reader(crate::authz::is_admin(&c.subject), c.user_id()),
                ..Default::default()
            };
            activity::page(db, &q, 1, 10).await?.items
        } else {
            Vec::new()
        };
        Ok(Dashboard {
            namespaces,
            starred,
            recent,
            activity,
        })
    })
    .await
}

/// Namespaces the caller may browse, filtered by part of the name, one page at a time.
#[server(endpoint = "list_namespaces")]
pub async fn list_namespaces(
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<NamespaceSummary>, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let (page, per_page) = crate::domain::page_request(page, per_page, 25)?;
        let text = q.unwrap_or_default().trim().to_lowercase();
        let all: Vec<NamespaceSummary> = c
            .visible_namespaces()
            .await?
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| text.is_empty() || n.name.contains(&text))
            .collect();
        let total = all.len() as u64;
        let items = all
            .into_iter()
            .skip(usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX))
            .take(usize::try_from(per_page).unwrap_or(25))
            .collect();
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    })
    .await
}

/// One namespace (`""` is the global one).
#[server(endpoint = "get_namespace")]
pub async fn get_namespace(name: String) -> Result<NamespaceDetail, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let (ns, facts) = c.namespace(&name).await?;
        let summary = c
            .visible_namespaces()
            .await?
            .into_iter()
            .map(|(n, _)| n)
            .find(|n| n.id == ns.id)
            .ok_or_else(|| AppError::NotFound(format!("no namespace named {name:?}")))?;
        let owner = match ns.owner_user_id {
            Some(id) => crate::backend::store::users::find_by_id(&c.state.db, id)
                .await?
                .map(|u| u.name),
            None => None,
        };
        Ok(NamespaceDetail { summary, facts, owner })
    })
    .await
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
    super::context::run(async move {
        use crate::backend::store::repositories;
        let c = super::context::caller().await?;
        let (page, per_page) = crate::domain::page_request(page, per_page, 25)?;
        let ids = match namespace {
            Some(ns) => Some(vec![c.namespace(&ns).await?.0.id]),
            None => c.visible_namespace_ids().await?,
        };
        repositories::page(
            &c.state.db,
            &repositories::RepositoryQuery {
                namespace_ids: ids.as_deref(),
                only_ids: None,
                text: q.as_deref(),
                sort: sort.unwrap_or(RepositorySort::Name),
                page,
                per_page,
            },
            c.user_id(),
        )
        .await
    })
    .await
}

/// The repository page: details, rendered description, one page of tags.
#[server(endpoint = "get_repository")]
pub async fn get_repository(
    name: String,
    q: Option<String>,
    sort: Option<TagSort>,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<RepositoryDetail, AppError> {
    super::context::run(async move {
        use crate::backend::store::{stars, tags};
        let c = super::context::caller().await?;
        let (repo, ns, facts) = c.repository(&name).await?;
        let (page, per_page) = crate::domain::page_request(page, per_page, 50)?;
        let db = &c.state.db;
        let tags = tags::page(
            db,
            repo.id,
            sort.unwrap_or(TagSort::Pushed),
            q.as_deref(),
            page,
            per_page,
        )
        .await?;
        let starred = !stars::starred_among(db, c.user_id(), &[repo.id]).await?.is_empty();
        Ok(RepositoryDetail {
            id: repo.id,
            namespace: ns.name,
            description_html: crate::backend::markdown::render(&repo.description),
            description: repo.description,
            pulls: repo.pull_count,
            last_pulled_at: repo.last_pulled_at.map(|t| t.to_rfc3339()),
            starred,
            stars: stars::count(db, repo.id).await?,
            facts,
            tags,
            full_name: repo.name,
        })
    })
    .await
}

/// Search as you type: namespaces, repositories and tags whose names contain `q`, among what
/// the caller may see (at most 10 of each).
#[server(endpoint = "search")]
pub async fn search(q: String) -> Result<SearchResults, AppError> {
    super::context::run(async move {
        use crate::backend::store::{repositories, tags};
        let c = super::context::caller().await?;
        let text = q.trim().to_lowercase();
        if text.is_empty() {
            return Ok(SearchResults {
                namespaces: Vec::new(),
                repositories: Vec::new(),
                tags: Vec::new(),
            });
        }
        if text.len() > 128 {
            return Err(AppError::BadRequest("search for at most 128 characters".into()));
        }
        let visible = c.visible_namespaces().await?;
        let all_ids: Vec<i64> = visible.iter().map(|(n, _)| n.id).collect();
        let ids = if crate::authz::is_admin(&c.subject) {
            None
        } else {
            Some(all_ids)
        };
        let namespaces = visible
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| n.name.contains(&text))
            .take(10)
            .collect();
        let repositories = repositories::page(
            &c.state.db,
            &repositories::RepositoryQuery {
                namespace_ids: ids.as_deref(),
                only_ids: None,
                text: Some(&text),
                sort: RepositorySort::Name,
                page: 1,
                per_page: 10,
            },
            c.user_id(),
        )
        .await?
        .items;
        let tags = tags::search(&c.state.db, &text, ids.as_deref(), 10).await?;
        Ok(SearchResults {
            namespaces,
            repositories,
            tags,
        })
    })
    .await
}

/// Stars or unstars a repository the caller may see; returns the new state.
#[server(endpoint = "set_star")]
pub async fn set_star(repository: String, starred: bool) -> Result<bool, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let user = c.require_user()?;
        let (repo, _, _) = c.repository(&repository).await?;
        crate::backend::store::stars::set(&c.state.db, user.id, repo.id, starred).await
    })
    .await
}

/// Changes a repository's markdown description (whoever may push to it).
#[server(endpoint = "set_repository_description")]
pub async fn set_repository_description(repository: String, description: String) -> Result<String, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        c.require_user()?;
        let (repo, ns, facts) = c.repository(&repository).await?;
        if !crate::authz::may_describe_repository(&c.policy(), &c.subject, &facts) {
            return Err(AppError::Forbidden("you may not change this repository".into()));
        }
        let repo = crate::backend::store::repositories::set_description(&c.state.db, repo, &description).await?;
        c.audit(&c.state.db, "repository.described", Some(ns.id), &repo.name, "")
            .await?;
        Ok(crate::backend::markdown::render(&repo.description))
    })
    .await
}

/// What deleting `repository:tag` removes (every tag on its digest), for the confirmation.
#[server(endpoint = "preview_tag_delete")]
pub async fn preview_tag_delete(repository: String, tag: String) -> Result<TagDeletion, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let (repo, tag) = deletable(&c, &repository, &tag).await?;
        let plan = crate::backend::sync::delete::preview(&c.state.db, &repo, &tag).await?;
        Ok(TagDeletion {
            repository: plan.repository,
            digest: plan.digest,
            tags: plan.tags,
        })
    })
    .await
}

/// Deletes the image `repository:tag` points at from the registry (by digest, so every tag
/// on it goes). `digest` is the one the user confirmed: if the tag moved since, nothing is
/// deleted.
#[server(endpoint = "delete_tag")]
pub async fn delete_tag(repository: String, tag: String, digest: String) -> Result<TagDeletion, AppError> {
    super::context::run(async move {
        let c = super::context::caller().await?;
        let (repo, tag) = deletable(&c, &repository, &tag).await?;
        let plan = crate::backend::sync::delete::preview(&c.state.db, &repo, &tag).await?;
        if plan.digest != digest {
            return Err(AppError::Conflict(format!(
                "{repo}:{tag} now points at {}; review the deletion again",
                plan.digest
            )));
        }
        let done = crate::backend::sync::delete::delete_tag(
            &c.state.db,
            &c.state.issuer,
            &repo,
            &tag,
            c.name(),
            c.state.config.registry_host.as_deref(),
        )
        .await?;
        c.state.webhooks.wake();
        Ok(TagDeletion {
            repository: done.repository,
            digest: done.digest,
            tags: done.tags,
        })
    })
    .await
}

/// Parses the names and checks the policy grants `delete` there.
#[cfg(feature = "ssr")]
async fn deletable(
    c: &super::context::Caller,
    repository: &str,
    tag: &str,
) -> Result<(crate::domain::RepositoryName, crate::domain::TagName), AppError> {
    c.require_user()?;
    let (repo, _, facts) = c.repository(repository).await?;
    let tag = crate::domain::TagName::try_from(tag.to_owned())?;
    crate::authz::authorize(
        &c.policy(),
        &c.subject,
        crate::authz::Target::Namespace(Some(&facts)),
        crate::domain::scope::Action::Delete,
    )
    .ok_or_else(|| AppError::Forbidden("you may not delete images here".into()))?;
    Ok((crate::domain::RepositoryName::try_from(repo.name)?, tag))
}
