//! Browsing: the dashboard, namespaces, repositories, tags and search, each filtered by what
//! the caller may pull (what may not be seen answers 404); stars and repository descriptions.

use super::Caller;
use crate::backend::AppState;
use crate::domain::dto::{
    Dashboard, ImageRow, NamespaceDetail, NamespaceSummary, Page, RepositoryDetail, RepositoryListItem, SearchResults,
    TagListing, TagView,
};
use crate::domain::{AppError, RepositorySort};

/// The signed-in user's start page: their namespaces, starred and recently pushed
/// repositories, recent activity they may see.
pub async fn get_dashboard(state: &AppState, c: &Caller) -> Result<Dashboard, AppError> {
    use crate::backend::store::namespaces;
    use crate::backend::store::{activity, repositories, stars};
    let visible = c.visible_namespaces(state).await?;
    let all_ids: Vec<i64> = visible.iter().map(|v| v.namespace.id).collect();
    // Administrators see every namespace's repositories: no filter to send for those.
    let ids: Option<&[i64]> = (!c.is_admin()).then_some(all_ids.as_slice());
    let db = &state.db;
    // "Mine": namespaces I own or am a member of; anonymous visitors see the public ones.
    let mine: Vec<namespaces::Visible> = visible
        .into_iter()
        .filter(|v| c.user.is_none() || v.my_role.is_some())
        .collect();
    let namespace_total = mine.len() as u64;
    let shown = mine
        .into_iter()
        .take(crate::domain::dto::DASHBOARD_NAMESPACES)
        .collect();
    let namespaces: Vec<NamespaceSummary> = namespaces::summaries(db, shown)
        .await?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let starred = match c.user_id() {
        Some(uid) => {
            let starred_ids = stars::of_user(db, uid).await?;
            repositories::items(
                db,
                &repositories::RepositoryQuery {
                    namespace_ids: ids,
                    only_ids: Some(&starred_ids),
                    text: None,
                    sort: RepositorySort::Name,
                    page: 1,
                    per_page: 20,
                },
                Some(uid),
            )
            .await?
        }
        None => Vec::new(),
    };
    let recent = repositories::items(
        db,
        &repositories::RepositoryQuery {
            namespace_ids: ids,
            only_ids: None,
            text: None,
            sort: RepositorySort::Updated,
            page: 1,
            per_page: 10,
        },
        c.user_id(),
    )
    .await?;
    let activity = if c.user.is_some() {
        let q = activity::ActivityQuery {
            // Entries about namespaces only, for administrators too (the log has the rest).
            visible_namespaces: Some(&all_ids),
            addresses: activity::AddressView::for_reader(crate::authz::is_admin(&c.subject), c.user_id()),
            ..Default::default()
        };
        activity::newest(db, &q, 10).await?
    } else {
        Vec::new()
    };
    Ok(Dashboard {
        namespaces,
        namespace_total,
        starred,
        recent,
        activity,
    })
}

/// Namespaces the caller may browse, filtered by part of the name, one page at a time.
pub async fn list_namespaces(
    state: &AppState,
    c: &Caller,
    q: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<NamespaceSummary>, AppError> {
    let (page, per_page) = crate::domain::page_request(page, per_page, 25)?;
    let text = q.unwrap_or_default().trim().to_lowercase();
    let all: Vec<_> = c
        .visible_namespaces(state)
        .await?
        .into_iter()
        .filter(|v| text.is_empty() || v.namespace.name.contains(&text))
        .collect();
    let total = all.len() as u64;
    let shown = all
        .into_iter()
        .skip(usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX))
        .take(usize::try_from(per_page).unwrap_or(25))
        .collect();
    let items = crate::backend::store::namespaces::summaries(&state.db, shown)
        .await?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    Ok(Page {
        items,
        total,
        page,
        per_page,
        total_capped: false,
    })
}

/// One namespace (`""` is the global one).
pub async fn get_namespace(state: &AppState, c: &Caller, name: String) -> Result<NamespaceDetail, AppError> {
    let (ns, facts) = c.namespace(state, &name).await?;
    let this = c
        .visible_namespaces(state)
        .await?
        .into_iter()
        .find(|v| v.namespace.id == ns.id)
        .ok_or_else(|| AppError::NotFound(format!("no namespace named {name:?}")))?;
    let summary = crate::backend::store::namespaces::summaries(&state.db, vec![this])
        .await?
        .into_iter()
        .map(|(n, _)| n)
        .next()
        .ok_or_else(|| AppError::NotFound(format!("no namespace named {name:?}")))?;
    let owner = match ns.owner_user_id {
        Some(id) => crate::backend::store::users::find_by_id(&state.db, id)
            .await?
            .map(|u| u.name),
        None => None,
    };
    Ok(NamespaceDetail { summary, facts, owner })
}

/// Repositories the caller may browse: in one namespace or all, filtered, sorted, paginated.
pub async fn list_repositories(
    state: &AppState,
    c: &Caller,
    namespace: Option<String>,
    q: Option<String>,
    sort: Option<RepositorySort>,
    page: Option<u64>,
    per_page: Option<u64>,
) -> Result<Page<RepositoryListItem>, AppError> {
    use crate::backend::store::repositories;
    let (page, per_page) = crate::domain::page_request(page, per_page, 25)?;
    let ids = match namespace {
        Some(ns) => Some(vec![c.namespace(state, &ns).await?.0.id]),
        None => c.visible_namespace_ids(state).await?,
    };
    repositories::page(
        &state.db,
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
}

/// One page of a repository's images, each with the kinds of accessory attached to it.
async fn images_of(
    db: &sea_orm::DatabaseConnection,
    repository_id: i64,
    listing: &TagListing,
) -> Result<Page<ImageRow>, AppError> {
    use crate::backend::images::accessories;
    use crate::backend::store::image_rows;
    let mut images = image_rows::page(db, &image_rows::ImageQuery::of(repository_id, listing)?).await?;
    let digests: Vec<String> = images.items.iter().map(|i| i.digest.clone()).collect();
    let mut kinds = accessories::kinds_of(db, repository_id, &digests).await?;
    for image in &mut images.items {
        image.attached = kinds.remove(&image.digest).unwrap_or_default().into_iter().collect();
    }
    Ok(images)
}

/// The repository page: details, rendered description, one page of its images (each with
/// all its tags and the kinds of accessory attached to it).
pub async fn get_repository(
    state: &AppState,
    c: &Caller,
    name: String,
    listing: TagListing,
) -> Result<RepositoryDetail, AppError> {
    use crate::backend::store::{image_rows, stars};
    let (repo, ns, facts) = c.repository(state, &name).await?;
    let db = &state.db;
    let images = images_of(db, repo.id, &listing).await?;
    let (tag_count, accessory_tags) = image_rows::tag_counts(db, repo.id).await?;
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
        tag_count,
        accessory_tags,
        images,
        full_name: repo.name,
    })
}

/// One page of a repository's images, for the API (what the repository page lists).
pub async fn list_images(
    state: &AppState,
    c: &Caller,
    name: String,
    listing: TagListing,
) -> Result<Page<ImageRow>, AppError> {
    let (repo, _, _) = c.repository(state, &name).await?;
    images_of(&state.db, repo.id, &listing).await
}

/// One page of a repository's tags (one row per tag), for the API.
pub async fn list_tags(
    state: &AppState,
    c: &Caller,
    name: String,
    listing: TagListing,
) -> Result<Page<TagView>, AppError> {
    use crate::backend::store::{image_rows, tags};
    let (repo, _, _) = c.repository(state, &name).await?;
    tags::page(&state.db, &image_rows::ImageQuery::of(repo.id, &listing)?).await
}

/// Search as you type: namespaces, repositories and tags whose names contain `q`, among what
/// the caller may see (at most 10 of each).
pub async fn search(state: &AppState, c: &Caller, q: String) -> Result<SearchResults, AppError> {
    use crate::backend::store::{repositories, tags};
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
    let visible = c.visible_namespaces(state).await?;
    let all_ids: Vec<i64> = visible.iter().map(|v| v.namespace.id).collect();
    let ids = if crate::authz::is_admin(&c.subject) {
        None
    } else {
        Some(all_ids)
    };
    let matching = visible
        .into_iter()
        .filter(|v| v.namespace.name.contains(&text))
        .take(10)
        .collect();
    let namespaces = crate::backend::store::namespaces::summaries(&state.db, matching)
        .await?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let repositories = repositories::items(
        &state.db,
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
    .await?;
    let tags = tags::search(&state.db, &text, ids.as_deref(), 10).await?;
    Ok(SearchResults {
        namespaces,
        repositories,
        tags,
    })
}

/// Stars or unstars a repository the caller may see; returns the new state.
pub async fn set_star(state: &AppState, c: &Caller, repository: String, starred: bool) -> Result<bool, AppError> {
    let user = c.require_user()?;
    let (repo, _, _) = c.repository(state, &repository).await?;
    crate::backend::store::stars::set(&state.db, user.id, repo.id, starred).await
}

/// Changes a repository's markdown description (whoever may push to it).
pub async fn set_repository_description(
    state: &AppState,
    c: &Caller,
    repository: String,
    description: String,
) -> Result<String, AppError> {
    c.require_user()?;
    let (repo, ns, facts) = c.repository(state, &repository).await?;
    if !crate::authz::may_describe_repository(&state.config.policy(), &c.subject, &facts) {
        return Err(AppError::Forbidden("you may not change this repository".into()));
    }
    let repo = crate::backend::store::repositories::set_description(&state.db, repo, &description).await?;
    c.audit(&state.db, "repository.described", Some(ns.id), &repo.name, "")
        .await?;
    Ok(crate::backend::markdown::render(&repo.description))
}
