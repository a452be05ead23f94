//! THE authorization policy of wharf: pure, no I/O, compiled for the server and the browser.
//!
//! Every decision — the `/v2/token` endpoint, every server function, and the UI deciding
//! which buttons to show — goes through [`allowed`]. It returns the granted subset of what was
//! requested and denies by default. Callers gather the facts (who asks, what the namespace is,
//! which role the subject holds in its team); this module only decides.
//!
//! Mutating services take a [`Grant`], which only this module can make, so a check cannot be
//! skipped by accident.

use serde::{Deserialize, Serialize};

use crate::domain::scope::{Action, ActionSet};
use crate::domain::{PushPolicy, Role, Visibility};

#[cfg(test)]
mod tests;

/// Registry-wide switches that change the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PolicySettings {
    pub push_policy: PushPolicy,
    /// Contributors may delete images too (owners and admins always may).
    pub delete_contributors: bool,
    /// Master switch for deletes: when off, nobody (not even admins) gets `delete`.
    pub delete_enabled: bool,
}

impl Default for PolicySettings {
    fn default() -> Self {
        PolicySettings {
            push_policy: PushPolicy::AllowTeams,
            delete_contributors: false,
            delete_enabled: true,
        }
    }
}

/// Who asks. Authentication has already happened; a disabled user or a dead token normally
/// never gets this far (401), but the policy denies them anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Subject {
    Anonymous,
    User(UserSubject),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserSubject {
    pub id: i64,
    pub admin: bool,
    pub disabled: bool,
    /// Authenticated with a read-only application token: never more than pull.
    pub read_only: bool,
}

/// What a namespace is, from the point of view of one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum NamespaceKind {
    /// Holds repositories without a slash; only admins push there.
    Global,
    /// A user's own namespace, named after them.
    Personal { owner_id: i64 },
    /// Owned by a team; `member_role` is the subject's role in that team, if any.
    Team { member_role: Option<Role> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NamespaceFacts {
    pub kind: NamespaceKind,
    pub visibility: Visibility,
}

/// What the request is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// A repository in a namespace; `None` when the namespace does not exist.
    Namespace(Option<&'a NamespaceFacts>),
    /// `registry:catalog:*`: listing every repository.
    Catalog,
}

/// Returns the subset of `requested` that `subject` may do on `target`. Deny by default.
pub fn allowed(settings: &PolicySettings, subject: &Subject, target: Target<'_>, requested: ActionSet) -> ActionSet {
    permitted(settings, subject, target).intersect(requested)
}

/// Everything `subject` may do on `target`.
pub fn permitted(settings: &PolicySettings, subject: &Subject, target: Target<'_>) -> ActionSet {
    let user = match subject {
        Subject::User(u) if u.disabled => return ActionSet::EMPTY,
        Subject::User(u) => Some(u),
        Subject::Anonymous => None,
    };
    let admin = user.is_some_and(|u| u.admin);

    let facts = match target {
        // Listing the catalog reveals every repository name: admins only (read-only tokens
        // included, since listing is a read).
        Target::Catalog => return if admin { ActionSet::ALL } else { ActionSet::EMPTY },
        Target::Namespace(None) => return ActionSet::EMPTY,
        Target::Namespace(Some(f)) => f,
    };

    let mut granted = ActionSet::EMPTY;

    // pull: admins, members, the personal owner, then visibility.
    let by_visibility = match facts.visibility {
        Visibility::Public => true,
        Visibility::Protected => user.is_some(),
        Visibility::Private => false,
    };
    let role = match facts.kind {
        NamespaceKind::Team { member_role } if user.is_some() => member_role,
        _ => None,
    };
    let personal_owner =
        matches!(facts.kind, NamespaceKind::Personal { owner_id } if user.is_some_and(|u| u.id == owner_id));
    if admin || role.is_some() || personal_owner || by_visibility {
        granted.insert(Action::Pull);
    }

    // push: depends on the registry-wide push policy.
    let team_writer = matches!(role, Some(Role::Owner | Role::Contributor));
    let may_push = admin
        || match settings.push_policy {
            PushPolicy::AllowTeams => team_writer || personal_owner,
            PushPolicy::AllowPersonal => personal_owner,
            PushPolicy::AdminOnly => false,
        };
    if may_push {
        granted.insert(Action::Push);
    }

    // delete: admins, team owners, personal owners; contributors when enabled.
    let may_delete = settings.delete_enabled
        && (admin
            || personal_owner
            || role == Some(Role::Owner)
            || (settings.delete_contributors && role == Some(Role::Contributor)));
    if may_delete {
        granted.insert(Action::Delete);
    }

    if user.is_some_and(|u| u.read_only) {
        granted = granted.intersect(ActionSet::PULL);
    }
    granted
}

/// Signed in, enabled, and an administrator: users, registries, sync and the whole activity
/// log are theirs to manage.
pub fn is_admin(subject: &Subject) -> bool {
    matches!(subject, Subject::User(u) if u.admin && !u.disabled && !u.read_only)
}

/// Proof that an administrator (or the operator at the server's command line) asked. Only
/// [`authorize_admin`] and [`AdminGrant::operator`] make one; services that only
/// administrators may run require it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminGrant {
    _private: (),
}

impl AdminGrant {
    /// The operator running `wharf` on the server: whoever can read its configuration can
    /// change the database anyway.
    pub fn operator() -> Self {
        AdminGrant { _private: () }
    }
}

/// An [`AdminGrant`] for `subject`, if [`is_admin`].
pub fn authorize_admin(subject: &Subject) -> Option<AdminGrant> {
    is_admin(subject).then_some(AdminGrant { _private: () })
}

fn active_user(subject: &Subject) -> Option<&UserSubject> {
    match subject {
        Subject::User(u) if !u.disabled && !u.read_only => Some(u),
        _ => None,
    }
}

/// Rename, describe, change members of, delete a team, and create namespaces in it: admins
/// and the team's owners (`role` is the subject's role in that team).
pub fn may_manage_team(subject: &Subject, role: Option<Role>) -> bool {
    active_user(subject).is_some() && (is_admin(subject) || role == Some(Role::Owner))
}

/// Change a namespace's description or visibility: admins, owners of the owning team, and the
/// owner of a personal namespace. The global namespace is the admins'.
pub fn may_manage_namespace(subject: &Subject, facts: &NamespaceFacts) -> bool {
    let Some(user) = active_user(subject) else {
        return false;
    };
    is_admin(subject)
        || match facts.kind {
            NamespaceKind::Global => false,
            NamespaceKind::Personal { owner_id } => owner_id == user.id,
            NamespaceKind::Team { member_role } => member_role == Some(Role::Owner),
        }
}

/// List, create, change, test and delete a namespace's webhooks, and read their delivery log:
/// whoever manages the namespace. Webhooks send its events to outside addresses and hold
/// secrets, so members who merely push do not get them.
pub fn may_manage_webhooks(subject: &Subject, facts: &NamespaceFacts) -> bool {
    may_manage_namespace(subject, facts)
}

/// Set a namespace's retention policy and start its runs: whoever manages the namespace (a run
/// deletes images, so it also needs `delete` there, which managers have).
pub fn may_manage_retention(subject: &Subject, facts: &NamespaceFacts) -> bool {
    may_manage_namespace(subject, facts)
}

/// Delete a namespace or move it to another team: only team namespaces (personal and global
/// ones live as long as their user or the registry), by admins and the owning team's owners.
pub fn may_delete_namespace(subject: &Subject, facts: &NamespaceFacts) -> bool {
    matches!(facts.kind, NamespaceKind::Team { .. }) && may_manage_namespace(subject, facts)
}

/// Edit a repository's description: whoever may push to it.
pub fn may_describe_repository(settings: &PolicySettings, subject: &Subject, facts: &NamespaceFacts) -> bool {
    active_user(subject).is_some()
        && permitted(settings, subject, Target::Namespace(Some(facts))).contains(Action::Push)
}

/// Proof that the policy allowed `actions` for a subject on a target. Only [`authorize`]
/// makes one; services that change repositories or tags require it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    actions: ActionSet,
}

impl Grant {
    pub fn actions(&self) -> ActionSet {
        self.actions
    }
}

/// Like [`allowed`], but for one action that must be granted in full.
pub fn authorize(settings: &PolicySettings, subject: &Subject, target: Target<'_>, action: Action) -> Option<Grant> {
    let actions = allowed(settings, subject, target, ActionSet::of(&[action]));
    (!actions.is_empty()).then_some(Grant { actions })
}
