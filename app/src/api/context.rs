//! What every server function needs: the state, and who is asking (from the session cookie).

use axum::http::request::Parts;
use leptos::prelude::{expect_context, use_context};

use crate::backend::auth::session;
use crate::backend::entity::user;
use crate::backend::AppState;
use crate::domain::AppError;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::Internal("server state missing".into()))
}

/// The session cookie value, if the request has one.
pub fn session_cookie() -> Option<String> {
    let parts = use_context::<Parts>()?;
    let secure = state().ok()?.config.secure_cookies();
    session_cookie_in(&parts.headers, secure)
}

/// The session cookie value in these request headers: the cookie named for this mode
/// (`secure`: `Config::secure_cookies`), never the other one.
pub fn session_cookie_in(headers: &axum::http::HeaderMap, secure: bool) -> Option<String> {
    let name = session::cookie_name(secure);
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The client's address (the peer, or what a trusted proxy says), for limits.
pub fn client_ip() -> Option<std::net::IpAddr> {
    let parts = use_context::<Parts>()?;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    Some(match state() {
        Ok(s) => s.client_ip(peer, &parts.headers),
        Err(_) => peer,
    })
}

/// The client's address as text, for the audit log.
pub fn client_addr() -> Option<String> {
    client_ip().map(|a| a.to_string())
}

/// Sets a response header from a server function.
pub fn set_cookie(value: &str) -> Result<(), AppError> {
    let opts = expect_context::<leptos_axum::ResponseOptions>();
    let v = axum::http::HeaderValue::from_str(value).map_err(|e| crate::backend::internal("building a cookie")(&e))?;
    opts.append_header(axum::http::header::SET_COOKIE, v);
    Ok(())
}

/// Gives a failed server function the HTTP status of its error (401, 403, …) instead of
/// the default 500, so logs and clients see what happened.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
            opts.set_status(
                axum::http::StatusCode::from_u16(e.status()).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
    }
    result
}

/// Who is calling a server function, resolved once: the state, the signed-in user (if any)
/// and the policy subject built from them.
pub struct Caller {
    pub state: AppState,
    pub user: Option<user::Model>,
    pub subject: crate::authz::Subject,
    /// The application token the caller presented (REST API), if any: what they create may
    /// not outlive it.
    pub credential: Option<crate::backend::auth::TokenCredential>,
}

/// Who a REST API request authenticated as (application token or session), provided by the
/// API adapter before it runs a server function's body; `None` means anonymous.
#[derive(Debug, Clone)]
pub struct ApiIdentity(pub Option<crate::backend::auth::Identity>);

pub async fn caller() -> Result<Caller, AppError> {
    let state = state()?;
    match use_context::<ApiIdentity>() {
        Some(ApiIdentity(identity)) => caller_for(state, identity).await,
        None => caller_with(state, session_cookie()).await,
    }
}

/// The caller behind an already authenticated identity (the REST API). The user row is read
/// again, so a user disabled or demoted since the token was cached is treated as such.
pub async fn caller_for(state: AppState, identity: Option<crate::backend::auth::Identity>) -> Result<Caller, AppError> {
    let Some(identity) = identity else {
        return Ok(Caller {
            state,
            user: None,
            subject: crate::authz::Subject::Anonymous,
            credential: None,
        });
    };
    let user = crate::backend::store::users::find_by_id(&state.db, identity.user_id)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(|| AppError::Unauthorized("this account is disabled".into()))?;
    let subject = crate::authz::Subject::User(crate::authz::UserSubject {
        id: user.id,
        admin: user.admin,
        disabled: user.disabled,
        read_only: identity.read_only,
    });
    Ok(Caller {
        state,
        user: Some(user),
        subject,
        credential: identity.app_token,
    })
}

/// The caller behind a session cookie, for plain HTTP handlers outside server functions.
pub async fn caller_with(state: AppState, cookie: Option<String>) -> Result<Caller, AppError> {
    let user = match cookie {
        Some(c) => session::user_for(&state, &c).await?,
        None => None,
    };
    let subject = match &user {
        Some(u) => crate::authz::Subject::User(crate::authz::UserSubject {
            id: u.id,
            admin: u.admin,
            disabled: u.disabled,
            read_only: false,
        }),
        None => crate::authz::Subject::Anonymous,
    };
    Ok(Caller {
        state,
        user,
        subject,
        credential: None,
    })
}

impl Caller {
    pub fn user_id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }

    pub fn name(&self) -> &str {
        self.user.as_ref().map_or("anonymous", |u| u.name.as_str())
    }

    /// The signed-in user, or 401.
    pub fn require_user(&self) -> Result<&user::Model, AppError> {
        self.user
            .as_ref()
            .ok_or_else(|| AppError::Unauthorized("sign in first".into()))
    }

    /// An administrator, or 401/403.
    pub fn require_admin(&self) -> Result<&user::Model, AppError> {
        let u = self.require_user()?;
        if !crate::authz::is_admin(&self.subject) {
            return Err(AppError::Forbidden("only administrators may do that".into()));
        }
        Ok(u)
    }

    pub fn policy(&self) -> crate::authz::PolicySettings {
        self.state.config.policy()
    }

    /// The namespaces this caller may browse (pull from), with the policy's facts. Anonymous
    /// visitors see nothing when `anonymous_browsing` is off.
    pub async fn visible_namespaces(
        &self,
    ) -> Result<Vec<(crate::domain::dto::NamespaceSummary, crate::authz::NamespaceFacts)>, AppError> {
        if self.user.is_none() && !self.state.config.anonymous_browsing {
            return Ok(Vec::new());
        }
        crate::backend::store::namespaces::visible(&self.state.db, &self.policy(), &self.subject, self.user_id()).await
    }

    /// Ids of [`Caller::visible_namespaces`]; `None` for administrators (everything).
    pub async fn visible_namespace_ids(&self) -> Result<Option<Vec<i64>>, AppError> {
        if crate::authz::is_admin(&self.subject) {
            return Ok(None);
        }
        Ok(Some(
            self.visible_namespaces()
                .await?
                .into_iter()
                .map(|(n, _)| n.id)
                .collect(),
        ))
    }

    /// A namespace this caller may browse, with its facts. One it may not see answers 404, as
    /// if it did not exist, so private names do not leak.
    pub async fn namespace(
        &self,
        name: &str,
    ) -> Result<(crate::backend::entity::namespace::Model, crate::authz::NamespaceFacts), AppError> {
        use crate::domain::scope::Action;
        let not_found = || AppError::NotFound(format!("no namespace named {name:?}"));
        if self.user.is_none() && !self.state.config.anonymous_browsing {
            return Err(AppError::Unauthorized("sign in to browse".into()));
        }
        let ns = crate::backend::store::namespaces::find_named(&self.state.db, name)
            .await?
            .ok_or_else(not_found)?;
        let facts = crate::backend::store::namespaces::facts(&self.state.db, &ns, self.user_id()).await?;
        let perms = crate::authz::permitted(
            &self.policy(),
            &self.subject,
            crate::authz::Target::Namespace(Some(&facts)),
        );
        if !perms.contains(Action::Pull) {
            return Err(not_found());
        }
        Ok((ns, facts))
    }

    /// A repository this caller may browse (404 otherwise), its namespace and facts.
    pub async fn repository(
        &self,
        name: &str,
    ) -> Result<
        (
            crate::backend::entity::repository::Model,
            crate::backend::entity::namespace::Model,
            crate::authz::NamespaceFacts,
        ),
        AppError,
    > {
        let not_found = || AppError::NotFound(format!("no repository named {name:?}"));
        let parsed = crate::domain::RepositoryName::try_from(name.to_owned()).map_err(|_| not_found())?;
        let ns_name = parsed.namespace().map(|n| n.to_string()).unwrap_or_default();
        let (ns, facts) = self.namespace(&ns_name).await.map_err(|e| match e {
            AppError::NotFound(_) => not_found(),
            e => e,
        })?;
        let repo = crate::backend::store::repositories::find_by_name(&self.state.db, parsed.as_str())
            .await?
            .filter(|r| r.namespace_id == Some(ns.id))
            .ok_or_else(not_found)?;
        Ok((repo, ns, facts))
    }

    /// Records what this caller did in the audit log.
    pub async fn audit(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        kind: &str,
        namespace_id: Option<i64>,
        target: &str,
        details: &str,
    ) -> Result<(), AppError> {
        let addr = client_addr();
        crate::backend::store::activity::record(
            db,
            crate::backend::store::activity::NewActivity {
                actor_user_id: self.user_id(),
                actor_name: self.name(),
                kind,
                namespace_id,
                target,
                details,
                client_addr: addr.as_deref(),
            },
        )
        .await
    }
}

/// Runs a server function body and gives its error the right HTTP status.
pub async fn run<T>(body: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    // A change made here (a revoked token, a disabled user, a new member) holds for this
    // process's very next docker request, not only after the next poll of the change log.
    if result.is_ok() {
        if let Ok(s) = state() {
            s.auth_cache.sync(&s.db).await;
        }
    }
    with_status(result)
}

/// `host:port` for `docker pull` lines: `registry_host`, else the first registry's public
/// endpoint, else a placeholder.
pub async fn registry_host(state: &AppState) -> Result<String, AppError> {
    if let Some(h) = &state.config.registry_host {
        return Ok(h.clone());
    }
    Ok(crate::backend::store::registries::list(&state.db)
        .await?
        .into_iter()
        .next()
        .map_or_else(|| "REGISTRY".to_owned(), |r| r.public_host))
}
