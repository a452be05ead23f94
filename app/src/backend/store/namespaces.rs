//! Namespaces, the facts the policy needs about them, and the repositories in them.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::teams;
use crate::authz::{NamespaceFacts, NamespaceKind};
use crate::backend::entity::{namespace, repository, tag, team, team_member};
use crate::domain::dto::{NamespaceSummary, RepositorySummary};
use crate::domain::{AppError, NamespaceKindName, NamespaceName, Role, Visibility};

/// Creates a namespace owned by a team. Orphan repositories under its name stay orphans
/// (see [`crate::backend::orphans`]).
pub async fn create_for_team(
    db: &impl ConnectionTrait,
    name: &NamespaceName,
    team: &team::Model,
    visibility: Visibility,
    description: &str,
) -> Result<namespace::Model, AppError> {
    if find(db, Some(name)).await?.is_some() {
        return Err(AppError::Conflict(format!(
            "the namespace {:?} already exists",
            name.as_str()
        )));
    }
    super::auth_changes::record(db, "namespace.created").await?;
    let ns = namespace::ActiveModel {
        name: Set(name.to_string()),
        kind: Set(NamespaceKindName::Team),
        team_id: Set(Some(team.id)),
        owner_user_id: Set(None),
        visibility: Set(visibility),
        description: Set(description.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // Orphans named after it stay orphans: adopting them is an administrator's decision.
    Ok(ns)
}

/// Creates the global namespace (repositories without a slash) if it does not exist yet.
pub async fn ensure_global(db: &impl ConnectionTrait, visibility: Visibility) -> Result<namespace::Model, AppError> {
    if let Some(ns) = find(db, None).await? {
        return Ok(ns);
    }
    Ok(namespace::ActiveModel {
        name: Set(String::new()),
        kind: Set(NamespaceKindName::Global),
        team_id: Set(None),
        owner_user_id: Set(None),
        visibility: Set(visibility),
        description: Set("Repositories without a namespace".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The namespace called `name`, or the global one for `None`.
pub async fn find(
    db: &impl ConnectionTrait,
    name: Option<&NamespaceName>,
) -> Result<Option<namespace::Model>, AppError> {
    let name = name.map_or("", |n| n.as_str());
    Ok(namespace::Entity::find()
        .filter(namespace::Column::Name.eq(name))
        .one(db)
        .await?)
}

/// What the policy needs to know about `ns` for the user `user_id` (None: anonymous).
pub async fn facts(
    db: &impl ConnectionTrait,
    ns: &namespace::Model,
    user_id: Option<i64>,
) -> Result<NamespaceFacts, AppError> {
    let member_role = match (ns.team_id, user_id) {
        (Some(team_id), Some(uid)) => teams::role_of(db, team_id, uid).await?,
        _ => None,
    };
    facts_with_role(ns, member_role)
}

/// [`facts`] when the subject's role in the owning team is already known.
pub fn facts_with_role(ns: &namespace::Model, member_role: Option<Role>) -> Result<NamespaceFacts, AppError> {
    let kind = match ns.kind {
        NamespaceKindName::Global => NamespaceKind::Global,
        NamespaceKindName::Personal => NamespaceKind::Personal {
            // No owner (the user row is gone): nobody gets an owner's rights.
            owner_id: ns.owner_user_id.unwrap_or(-1),
        },
        NamespaceKindName::Team => NamespaceKind::Team { member_role },
    };
    Ok(NamespaceFacts {
        kind,
        visibility: ns.visibility,
    })
}

/// Namespaces `user_id` may pull from (None: anonymous), with what the home page shows.
pub async fn list_visible(
    db: &impl ConnectionTrait,
    settings: &crate::authz::PolicySettings,
    subject: &crate::authz::Subject,
    user_id: Option<i64>,
) -> Result<Vec<NamespaceSummary>, AppError> {
    Ok(visible(db, settings, subject, user_id)
        .await?
        .into_iter()
        .map(|(summary, _)| summary)
        .collect())
}

/// [`list_visible`] with the facts the policy decided on, for pages that show what the viewer
/// may do in each namespace.
pub async fn visible(
    db: &impl ConnectionTrait,
    settings: &crate::authz::PolicySettings,
    subject: &crate::authz::Subject,
    user_id: Option<i64>,
) -> Result<Vec<(NamespaceSummary, NamespaceFacts)>, AppError> {
    let all = namespace::Entity::find()
        .order_by_asc(namespace::Column::Name)
        .all(db)
        .await?;
    let roles: HashMap<i64, Role> = match user_id {
        Some(uid) => team_member::Entity::find()
            .filter(team_member::Column::UserId.eq(uid))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.team_id, m.role))
            .collect(),
        None => HashMap::new(),
    };
    let team_names: HashMap<i64, String> = team::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let repo_counts = repository_counts(db).await?;
    let mut out = Vec::new();
    for ns in all {
        let my_role: Option<Role> = ns.team_id.and_then(|t| roles.get(&t)).copied();
        let facts = facts_with_role(&ns, my_role)?;
        let perms = crate::authz::permitted(settings, subject, crate::authz::Target::Namespace(Some(&facts)));
        if !perms.contains(crate::domain::scope::Action::Pull) {
            continue;
        }
        out.push((
            NamespaceSummary {
                id: ns.id,
                name: ns.name.clone(),
                kind: ns.kind,
                visibility: facts.visibility,
                team: ns.team_id.and_then(|t| team_names.get(&t).cloned()),
                // A personal namespace's owner is shown as its owner too.
                my_role: my_role.or_else(|| (user_id.is_some() && ns.owner_user_id == user_id).then_some(Role::Owner)),
                description: ns.description.clone(),
                repository_count: repo_counts.get(&ns.id).copied().unwrap_or(0),
            },
            facts,
        ));
    }
    Ok(out)
}

async fn repository_counts(db: &impl ConnectionTrait) -> Result<HashMap<i64, u64>, AppError> {
    use sea_orm::QuerySelect;
    let rows: Vec<(Option<i64>, i64)> = repository::Entity::find()
        .select_only()
        .column(repository::Column::NamespaceId)
        .column_as(repository::Column::Id.count(), "n")
        .group_by(repository::Column::NamespaceId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(ns, n)| Some((ns?, u64::try_from(n).unwrap_or(0))))
        .collect())
}

/// Repositories in the given namespaces, with their tag counts.
pub async fn repositories_in(
    db: &impl ConnectionTrait,
    namespaces: &[NamespaceSummary],
) -> Result<Vec<RepositorySummary>, AppError> {
    let names: HashMap<i64, &str> = namespaces.iter().map(|n| (n.id, n.name.as_str())).collect();
    let repos = repository::Entity::find()
        .filter(repository::Column::NamespaceId.is_in(names.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(repository::Column::Name)
        .all(db)
        .await?;
    let mut tag_counts: HashMap<i64, u64> = HashMap::new();
    for t in tag::Entity::find()
        .filter(tag::Column::RepositoryId.is_in(repos.iter().map(|r| r.id).collect::<Vec<_>>()))
        .all(db)
        .await?
    {
        *tag_counts.entry(t.repository_id).or_insert(0) += 1;
    }
    Ok(repos
        .into_iter()
        .map(|r| RepositorySummary {
            id: r.id,
            namespace: r
                .namespace_id
                .and_then(|n| names.get(&n))
                .map(|s| s.to_string())
                .unwrap_or_default(),
            tag_count: tag_counts.get(&r.id).copied().unwrap_or(0),
            updated_at: Some(r.updated_at.to_rfc3339()),
            full_name: r.name,
        })
        .collect())
}

pub async fn require(db: &impl ConnectionTrait, name: &str) -> Result<namespace::Model, AppError> {
    find_named(db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no namespace named {name:?}")))
}

/// Longest namespace description accepted.
pub const MAX_DESCRIPTION: usize = 20_000;

fn check_description(description: &str) -> Result<(), AppError> {
    if description.len() > MAX_DESCRIPTION {
        return Err(AppError::BadRequest(format!(
            "descriptions are limited to {MAX_DESCRIPTION} bytes"
        )));
    }
    Ok(())
}

/// Changes a namespace's visibility and description; every process drops its cached facts.
pub async fn update(
    db: &impl ConnectionTrait,
    ns: namespace::Model,
    visibility: Option<Visibility>,
    description: Option<&str>,
) -> Result<namespace::Model, AppError> {
    let mut am: namespace::ActiveModel = ns.into();
    if let Some(v) = visibility {
        am.visibility = Set(v);
    }
    if let Some(d) = description {
        check_description(d)?;
        am.description = Set(d.to_owned());
    }
    let ns = am.update(db).await?;
    super::auth_changes::record(db, "namespace.updated").await?;
    Ok(ns)
}

/// Moves a team namespace to another team (its repositories follow).
pub async fn transfer(
    db: &impl ConnectionTrait,
    ns: namespace::Model,
    to: &team::Model,
) -> Result<namespace::Model, AppError> {
    if ns.team_id.is_none() {
        return Err(AppError::BadRequest(
            "only team namespaces can move to another team".into(),
        ));
    }
    let mut am: namespace::ActiveModel = ns.into();
    am.team_id = Set(Some(to.id));
    let ns = am.update(db).await?;
    super::auth_changes::record(db, "namespace.transferred").await?;
    Ok(ns)
}

/// Deletes an empty team namespace. Namespaces still holding repositories are refused: the
/// registry keeps their images, and they would come back as orphans.
pub async fn delete(db: &impl ConnectionTrait, ns: namespace::Model) -> Result<(), AppError> {
    use sea_orm::PaginatorTrait;
    if ns.kind != NamespaceKindName::Team {
        return Err(AppError::BadRequest(format!(
            "the {} namespace {:?} cannot be deleted",
            ns.kind, ns.name
        )));
    }
    let repos = repository::Entity::find()
        .filter(repository::Column::NamespaceId.eq(ns.id))
        .count(db)
        .await?;
    if repos > 0 {
        return Err(AppError::Conflict(format!(
            "namespace {:?} still holds {repos} repositories; delete their images first",
            ns.name
        )));
    }
    namespace::Entity::delete_by_id(ns.id).exec(db).await?;
    super::auth_changes::record(db, "namespace.deleted").await?;
    Ok(())
}

/// The namespace with this exact name (`""`: the global one).
pub async fn find_named(db: &impl ConnectionTrait, name: &str) -> Result<Option<namespace::Model>, AppError> {
    Ok(namespace::Entity::find()
        .filter(namespace::Column::Name.eq(name))
        .one(db)
        .await?)
}

/// The namespace with id `id`.
pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<namespace::Model>, AppError> {
    Ok(namespace::Entity::find_by_id(id).one(db).await?)
}
