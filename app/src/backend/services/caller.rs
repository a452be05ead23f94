//! Who is asking a service: a signed-in user (console session, application token), an
//! anonymous visitor, or the operator at the server's command line. Built once per request by
//! the adapter (server function, REST handler, CLI command) and handed to every service.

use crate::authz::{self, NamespaceFacts, PolicySettings, Subject, UserSubject};
use crate::backend::auth::{session, Identity, TokenCredential};
use crate::backend::entity::{namespace, repository, user};
use crate::backend::store;
use crate::backend::AppState;
use crate::domain::scope::Action;
use crate::domain::AppError;

/// The name the command line's changes are audited under.
pub const OPERATOR_NAME: &str = "wharf:cli";

#[derive(Debug, Clone)]
pub struct Caller {
    /// The signed-in user; `None` for anonymous visitors and the operator.
    pub user: Option<user::Model>,
    /// What the policy decides on.
    pub subject: Subject,
    /// The application token the caller presented (REST API), if any: what they create may
    /// not outlive it.
    pub credential: Option<TokenCredential>,
    /// The client's address (the peer, or what a trusted proxy says), for the audit log.
    pub client_addr: Option<String>,
    operator: bool,
    /// The name a system caller is audited under (`None`: [`OPERATOR_NAME`]).
    system_name: Option<&'static str>,
}

/// The name scheduled retention runs are audited under.
pub const RETENTION_NAME: &str = "wharf:retention";

impl Caller {
    pub fn anonymous(client_addr: Option<String>) -> Caller {
        Caller {
            user: None,
            subject: Subject::Anonymous,
            credential: None,
            client_addr,
            operator: false,
            system_name: None,
        }
    }

    /// The operator running `wharf` on the server (the CLI). Whoever can read wharf's
    /// configuration can change its database anyway, so the operator may do what an
    /// administrator may; their changes are audited under [`OPERATOR_NAME`].
    pub fn operator() -> Caller {
        Caller {
            user: None,
            // No user has id 0 (ids start at 1): the operator owns no personal namespace.
            subject: Subject::User(UserSubject {
                id: 0,
                admin: true,
                disabled: false,
                read_only: false,
            }),
            credential: None,
            client_addr: None,
            operator: true,
            system_name: None,
        }
    }

    /// wharf itself, doing scheduled work (retention runs): the operator's rights, audited
    /// under its own name.
    pub fn system(name: &'static str) -> Caller {
        Caller {
            system_name: Some(name),
            ..Caller::operator()
        }
    }

    /// The caller behind an already authenticated identity (application token or session).
    /// The user row is read again, so a user disabled or demoted since the credential was
    /// cached is treated as such.
    pub async fn for_identity(
        state: &AppState,
        identity: Option<Identity>,
        client_addr: Option<String>,
    ) -> Result<Caller, AppError> {
        let Some(identity) = identity else {
            return Ok(Caller::anonymous(client_addr));
        };
        let user = store::users::find_by_id(&state.db, identity.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or_else(|| AppError::Unauthorized("this account is disabled".into()))?;
        Ok(Caller {
            subject: subject_of(&user, identity.read_only),
            user: Some(user),
            credential: identity.app_token,
            client_addr,
            operator: false,
            system_name: None,
        })
    }

    /// The caller behind a console session cookie (or anonymous without one).
    pub async fn for_session(
        state: &AppState,
        cookie: Option<&str>,
        client_addr: Option<String>,
    ) -> Result<Caller, AppError> {
        let user = match cookie {
            Some(c) => session::user_for(state, c).await?,
            None => None,
        };
        Ok(match user {
            Some(user) => Caller {
                subject: subject_of(&user, false),
                user: Some(user),
                credential: None,
                client_addr,
                operator: false,
                system_name: None,
            },
            None => Caller::anonymous(client_addr),
        })
    }

    /// The signed-in user as the console and the API show them.
    pub fn current_user(&self) -> Option<crate::domain::dto::CurrentUser> {
        self.user.as_ref().map(|u| crate::domain::dto::CurrentUser {
            id: u.id,
            name: u.name.clone(),
            email: u.email.clone(),
            admin: u.admin,
        })
    }

    pub fn user_id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }

    /// The name the audit log records.
    pub fn name(&self) -> &str {
        match &self.user {
            Some(u) => u.name.as_str(),
            None if self.operator => self.system_name.unwrap_or(OPERATOR_NAME),
            None => "anonymous",
        }
    }

    pub fn is_operator(&self) -> bool {
        self.operator
    }

    pub fn is_admin(&self) -> bool {
        authz::is_admin(&self.subject)
    }

    /// The signed-in user, or 401.
    pub fn require_user(&self) -> Result<&user::Model, AppError> {
        self.user
            .as_ref()
            .ok_or_else(|| AppError::Unauthorized("sign in first".into()))
    }

    /// An administrator (or the operator), or 401/403.
    pub fn require_admin(&self) -> Result<authz::AdminGrant, AppError> {
        if self.user.is_none() && !self.operator {
            return Err(AppError::Unauthorized("sign in first".into()));
        }
        authz::authorize_admin(&self.subject)
            .ok_or_else(|| AppError::Forbidden("only administrators may do that".into()))
    }

    pub fn policy(state: &AppState) -> PolicySettings {
        state.config.policy()
    }

    /// The namespaces this caller may browse (pull from), with the policy's facts, by name.
    /// Anonymous visitors see nothing when `anonymous_browsing` is off. What lists show of
    /// them is read by [`store::namespaces::summaries`], for the ones shown.
    pub async fn visible_namespaces(&self, state: &AppState) -> Result<Vec<store::namespaces::Visible>, AppError> {
        if self.user.is_none() && !self.operator && !state.config.anonymous_browsing {
            return Ok(Vec::new());
        }
        store::namespaces::visible(&state.db, &Self::policy(state), &self.subject, self.user_id()).await
    }

    /// Ids of [`Caller::visible_namespaces`]; `None` for administrators (everything).
    pub async fn visible_namespace_ids(&self, state: &AppState) -> Result<Option<Vec<i64>>, AppError> {
        if self.is_admin() {
            return Ok(None);
        }
        Ok(Some(
            self.visible_namespaces(state)
                .await?
                .into_iter()
                .map(|v| v.namespace.id)
                .collect(),
        ))
    }

    /// A namespace this caller may browse, with its facts. One it may not see answers 404, as
    /// if it did not exist, so private names do not leak.
    pub async fn namespace(
        &self,
        state: &AppState,
        name: &str,
    ) -> Result<(namespace::Model, NamespaceFacts), AppError> {
        let not_found = || AppError::NotFound(format!("no namespace named {name:?}"));
        if self.user.is_none() && !self.operator && !state.config.anonymous_browsing {
            return Err(AppError::Unauthorized("sign in to browse".into()));
        }
        let ns = store::namespaces::find_named(&state.db, name)
            .await?
            .ok_or_else(not_found)?;
        let facts = store::namespaces::facts(&state.db, &ns, self.user_id()).await?;
        let perms = authz::permitted(
            &Self::policy(state),
            &self.subject,
            authz::Target::Namespace(Some(&facts)),
        );
        if !perms.contains(Action::Pull) {
            return Err(not_found());
        }
        Ok((ns, facts))
    }

    /// A repository this caller may browse (404 otherwise), its namespace and facts.
    pub async fn repository(
        &self,
        state: &AppState,
        name: &str,
    ) -> Result<(repository::Model, namespace::Model, NamespaceFacts), AppError> {
        let not_found = || AppError::NotFound(format!("no repository named {name:?}"));
        let parsed = crate::domain::RepositoryName::try_from(name.to_owned()).map_err(|_| not_found())?;
        let ns_name = parsed.namespace().map(|n| n.to_string()).unwrap_or_default();
        let (ns, facts) = self.namespace(state, &ns_name).await.map_err(|e| match e {
            AppError::NotFound(_) => not_found(),
            e => e,
        })?;
        let repo = store::repositories::find_by_name(&state.db, parsed.as_str())
            .await?
            .filter(|r| r.namespace_id == Some(ns.id))
            .ok_or_else(not_found)?;
        Ok((repo, ns, facts))
    }

    /// Records what this caller did in the audit log (inside the change's transaction).
    pub async fn audit(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        kind: &str,
        namespace_id: Option<i64>,
        target: &str,
        details: &str,
    ) -> Result<(), AppError> {
        store::activity::record(
            db,
            store::activity::NewActivity {
                actor_user_id: self.user_id(),
                actor_name: self.name(),
                kind,
                namespace_id,
                target,
                details,
                client_addr: self.client_addr.as_deref(),
            },
        )
        .await
    }
}

fn subject_of(user: &user::Model, read_only: bool) -> Subject {
    Subject::User(UserSubject {
        id: user.id,
        admin: user.admin,
        disabled: user.disabled,
        read_only,
    })
}
