//! Namespaces, the facts the policy needs about them, and the repositories in them.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::teams;
use crate::authz::{NamespaceFacts, NamespaceKind};
use crate::backend::entity::{namespace, repository, team, team_member};
use crate::domain::dto::NamespaceSummary;
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

/// A namespace the subject may pull from, with what the policy decided on.
#[derive(Debug, Clone)]
pub struct Visible {
    pub namespace: namespace::Model,
    pub facts: NamespaceFacts,
    /// The subject's role in the owning team, or owner of their personal namespace.
    pub my_role: Option<Role>,
}

/// Namespaces `user_id` (None: anonymous) may pull from, by name. Two queries (the namespaces
/// and the user's memberships) whatever the size of the catalog: what lists show of them
/// (team names, repository counts) is read by [`summaries`] for the few shown.
pub async fn visible(
    db: &impl ConnectionTrait,
    settings: &crate::authz::PolicySettings,
    subject: &crate::authz::Subject,
    user_id: Option<i64>,
) -> Result<Vec<Visible>, AppError> {
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
    let mut out = Vec::new();
    for ns in all {
        let member_role: Option<Role> = ns.team_id.and_then(|t| roles.get(&t)).copied();
        let facts = facts_with_role(&ns, member_role)?;
        let perms = crate::authz::permitted(settings, subject, crate::authz::Target::Namespace(Some(&facts)));
        if !perms.contains(crate::domain::scope::Action::Pull) {
            continue;
        }
        // A personal namespace's owner is shown as its owner too.
        let my_role = member_role.or_else(|| (user_id.is_some() && ns.owner_user_id == user_id).then_some(Role::Owner));
        out.push(Visible {
            namespace: ns,
            facts,
            my_role,
        });
    }
    Ok(out)
}

/// What lists show of these namespaces: their team's name and how many repositories they
/// hold, read for these namespaces only (grouped queries), in the order given.
pub async fn summaries(
    db: &impl ConnectionTrait,
    visible: Vec<Visible>,
) -> Result<Vec<(NamespaceSummary, NamespaceFacts)>, AppError> {
    if visible.is_empty() {
        return Ok(Vec::new());
    }
    let team_ids: Vec<i64> = visible.iter().filter_map(|v| v.namespace.team_id).collect();
    let team_names: HashMap<i64, String> = team::Entity::find()
        .filter(team::Column::Id.is_in(team_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let ids: Vec<i64> = visible.iter().map(|v| v.namespace.id).collect();
    let repo_counts = repository_counts(db, &ids).await?;
    Ok(visible
        .into_iter()
        .map(|v| {
            let ns = v.namespace;
            let summary = NamespaceSummary {
                id: ns.id,
                kind: ns.kind,
                visibility: v.facts.visibility,
                team: ns.team_id.and_then(|t| team_names.get(&t).cloned()),
                my_role: v.my_role,
                repository_count: repo_counts.get(&ns.id).copied().unwrap_or(0),
                name: ns.name,
                description: ns.description,
            };
            (summary, v.facts)
        })
        .collect())
}

/// How many repositories each of `namespace_ids` holds (one grouped query per 500 ids).
async fn repository_counts(db: &impl ConnectionTrait, namespace_ids: &[i64]) -> Result<HashMap<i64, u64>, AppError> {
    use sea_orm::QuerySelect;
    let mut counts = HashMap::new();
    for chunk in namespace_ids.chunks(500) {
        let rows: Vec<(Option<i64>, i64)> = repository::Entity::find()
            .select_only()
            .column(repository::Column::NamespaceId)
            .column_as(repository::Column::Id.count(), "n")
            .filter(repository::Column::NamespaceId.is_in(chunk.iter().copied()))
            .group_by(repository::Column::NamespaceId)
            .into_tuple()
            .all(db)
            .await?;
        counts.extend(
            rows.into_iter()
                .filter_map(|(ns, n)| Some((ns?, u64::try_from(n).unwrap_or(0)))),
        );
    }
    Ok(counts)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authz::{PolicySettings, Subject, UserSubject};
    use crate::backend::store::test_db::memory_db;
    use crate::backend::store::users::{self, NewUser};
    use crate::domain::RepositoryName;

    async fn user(db: &sea_orm::DatabaseConnection, name: &str) -> crate::backend::entity::user::Model {
        let new = NewUser {
            name: NamespaceName::try_from(name).unwrap(),
            email: None,
            password: "a long enough password 123".into(),
            admin: false,
        };
        users::create(db, new).await.unwrap()
    }

    /// A member sees their team's private namespace, their own and the public ones, not
    /// another team's private one; the summaries read team names and repository counts for
    /// the namespaces asked about only, in the order given.
    #[tokio::test]
    async fn visible_namespaces_and_the_summaries_of_some() {
        let db = memory_db().await;
        let (alice, bob) = (user(&db, "alice").await, user(&db, "bob").await);
        let ta = teams::create(&db, &NamespaceName::try_from("ta").unwrap(), "", &alice)
            .await
            .unwrap();
        let tb = teams::create(&db, &NamespaceName::try_from("tb").unwrap(), "", &bob)
            .await
            .unwrap();
        for (name, team, visibility) in [
            ("a-private", &ta, Visibility::Private),
            ("b-private", &tb, Visibility::Private),
            ("c-public", &tb, Visibility::Public),
        ] {
            create_for_team(&db, &NamespaceName::try_from(name).unwrap(), team, visibility, "")
                .await
                .unwrap();
        }
        for repo in ["a-private/x", "a-private/y", "c-public/z", "b-private/w"] {
            let name = RepositoryName::try_from(repo.to_owned()).unwrap();
            super::super::repositories::ensure(&db, &name, Utc::now())
                .await
                .unwrap();
        }
        let subject = Subject::User(UserSubject {
            id: alice.id,
            admin: false,
            disabled: false,
            read_only: false,
        });
        let seen = visible(&db, &PolicySettings::default(), &subject, Some(alice.id))
            .await
            .unwrap();
        let names: Vec<(&str, Option<Role>)> = seen.iter().map(|v| (v.namespace.name.as_str(), v.my_role)).collect();
        assert_eq!(
            names,
            [
                ("a-private", Some(Role::Owner)),
                ("alice", Some(Role::Owner)),
                ("c-public", None)
            ]
        );

        let all = summaries(&db, seen.clone()).await.unwrap();
        let shown: Vec<(&str, Option<&str>, u64)> = all
            .iter()
            .map(|(s, _)| (s.name.as_str(), s.team.as_deref(), s.repository_count))
            .collect();
        assert_eq!(
            shown,
            [
                ("a-private", Some("ta"), 2),
                ("alice", None, 0),
                ("c-public", Some("tb"), 1)
            ]
        );
        let last = summaries(&db, seen.into_iter().rev().take(1).collect()).await.unwrap();
        assert_eq!(last.len(), 1);
        assert_eq!((last[0].0.name.as_str(), last[0].0.repository_count), ("c-public", 1));
        assert!(summaries(&db, Vec::new()).await.unwrap().is_empty());
    }
}
