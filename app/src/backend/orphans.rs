//! Adopting orphan repositories: an administrator's explicit act, never a side effect.
//!
//! An orphan is a repository the registry holds under a namespace wharf did not know when it
//! appeared (see `store::repositories::ensure`). Whoever creates a namespace or a user of that
//! name later must not inherit its images, with push and delete: until an administrator adopts
//! them, orphans belong to no namespace, and `/v2/token` grants nobody anything on them
//! (`registry_auth`). The console, the REST API and the CLI all adopt through [`adopt`], and
//! every adopted repository gets an activity entry.

use sea_orm::DatabaseConnection;

use crate::authz::AdminGrant;
use crate::backend::store::{activity, auth_changes, namespaces, repositories, teams};
use crate::domain::dto::Adoption;
use crate::domain::{AppError, NamespaceName, Visibility};

/// Who adopts, for the activity log.
#[derive(Debug, Clone, Copy)]
pub struct Adopter<'a> {
    pub user_id: Option<i64>,
    pub name: &'a str,
    pub client_addr: Option<&'a str>,
}

/// What to adopt: the orphans under one namespace name (`None`: those without a slash, into
/// the global namespace).
#[derive(Debug, Clone, Copy)]
pub struct AdoptRequest<'a> {
    pub namespace: Option<&'a NamespaceName>,
    /// Create the namespace in this team when it does not exist. When it exists, it must
    /// belong to this team: an administrator naming a team means "give them to that team",
    /// never "to whoever took the name meanwhile".
    pub team: Option<&'a str>,
}

/// Moves the orphans under `req.namespace` into that namespace (created in `req.team` when
/// missing), records one activity entry per repository, and makes every wharf process
/// re-read its token decisions.
pub async fn adopt(
    db: &DatabaseConnection,
    _admin: AdminGrant,
    by: Adopter<'_>,
    req: AdoptRequest<'_>,
    global_visibility: Visibility,
) -> Result<Adoption, AppError> {
    let team = req.team.map(str::trim).filter(|t| !t.is_empty());
    let txn = crate::backend::db::begin_write(db).await?;
    let team = match team {
        Some(t) => Some(teams::require_by_name(&*txn, t).await?),
        None => None,
    };
    let (ns, created) = match (namespaces::find(&*txn, req.namespace).await?, req.namespace) {
        (Some(ns), _) => {
            if let Some(t) = &team {
                if ns.team_id != Some(t.id) {
                    return Err(AppError::Conflict(format!(
                        "the namespace {:?} exists and does not belong to team {}: adopt without a team, or move the namespace first",
                        ns.name, t.name
                    )));
                }
            }
            (ns, false)
        }
        (None, None) => (namespaces::ensure_global(&*txn, global_visibility).await?, true),
        (None, Some(name)) => {
            let Some(t) = &team else {
                return Err(AppError::NotFound(format!(
                    "no namespace named {:?}: create it first, or name a team to create it in",
                    name.as_str()
                )));
            };
            let ns = namespaces::create_for_team(&*txn, name, t, Visibility::Private, "").await?;
            record(
                &*txn,
                by,
                "namespace.created",
                ns.id,
                &ns.name,
                &format!("team {}, to adopt its orphans", t.name),
            )
            .await?;
            (ns, true)
        }
    };
    let adopted = repositories::adopt_orphans(&*txn, &ns).await?;
    let details = format!(
        "into namespace {}",
        if ns.name.is_empty() { "(global)" } else { &ns.name }
    );
    for name in &adopted {
        record(&*txn, by, "repository.adopted", ns.id, name, &details).await?;
    }
    if !adopted.is_empty() {
        auth_changes::record(&*txn, "repository.adopted").await?;
    }
    txn.commit().await?;
    Ok(Adoption {
        namespace: ns.name,
        created,
        repositories: adopted,
    })
}

async fn record(
    db: &impl sea_orm::ConnectionTrait,
    by: Adopter<'_>,
    kind: &str,
    namespace_id: i64,
    target: &str,
    details: &str,
) -> Result<(), AppError> {
    activity::record(
        db,
        activity::NewActivity {
            actor_user_id: by.user_id,
            actor_name: by.name,
            kind,
            namespace_id: Some(namespace_id),
            target,
            details,
            client_addr: by.client_addr,
        },
    )
    .await
}
