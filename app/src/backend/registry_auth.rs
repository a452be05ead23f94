//! The heart of `/v2/token`: which of the requested scopes an identity gets.
//!
//! A partly refused scope is not an error: the token carries the overlap of what was asked and
//! what the policy allows, possibly nothing, and the registry refuses what is missing.

use sea_orm::ConnectionTrait;

use super::auth::cache::AuthCache;
use super::auth::Identity;
use super::store::namespaces;
use super::token::{AccessEntry, TokenResponse};
use super::AppState;
use crate::authz::{self, NamespaceFacts, PolicySettings, Subject, Target};
use crate::domain::scope::{ActionSet, Resource, Scope};
use crate::domain::{AppError, NamespaceName};

/// More scopes than any client sends; beyond it a request is refused rather than served.
pub const MAX_SCOPES: usize = 64;

/// Parses every `scope` parameter (each may hold several scopes separated by spaces).
pub fn parse_scopes(raw: &[&str]) -> Result<Vec<Scope>, AppError> {
    let mut scopes = Vec::new();
    for r in raw {
        scopes.extend(Scope::parse_list(r).map_err(|e| AppError::BadRequest(e.to_string()))?);
        if scopes.len() > MAX_SCOPES {
            return Err(AppError::BadRequest(format!("at most {MAX_SCOPES} scopes per request")));
        }
    }
    Ok(scopes)
}

/// What `identity` (None: anonymous) is granted of `scopes` (taken, so the granted entries
/// reuse their names).
pub async fn grant(
    db: &impl ConnectionTrait,
    cache: &AuthCache,
    settings: &PolicySettings,
    identity: Option<&Identity>,
    scopes: Vec<Scope>,
) -> Result<Vec<AccessEntry>, AppError> {
    let subject = identity.map_or(Subject::Anonymous, Identity::subject);
    let user_id = identity.map(|i| i.user_id);
    let mut entries: Vec<AccessEntry> = Vec::new();
    for scope in scopes {
        let actions: Vec<String> = match &scope.resource {
            Resource::Repository(name) => {
                let mut facts = facts_cached(db, cache, name.namespace().as_ref(), user_id).await?;
                // An orphan is in no namespace, whatever its name says: whoever created a
                // namespace of that name later gets nothing on it until an admin adopts it.
                if facts.is_some() && orphan_cached(db, cache, name.as_str()).await? {
                    facts = None;
                }
                authz::allowed(settings, &subject, Target::Namespace(facts.as_ref()), scope.requested).names()
            }
            // The catalog is only ever granted as "*", the one action the registry checks.
            Resource::Catalog if scope.wildcard => {
                let granted = authz::allowed(settings, &subject, Target::Catalog, ActionSet::ALL);
                if granted.is_empty() {
                    Vec::new()
                } else {
                    vec!["*".to_owned()]
                }
            }
            Resource::Catalog | Resource::ForeignRepository(_) | Resource::Other { .. } => Vec::new(),
        };
        if actions.is_empty() {
            continue;
        }
        // Several requests for the same resource merge into one entry.
        match entries
            .iter_mut()
            .find(|e| e.kind == scope.kind && e.name == scope.name)
        {
            Some(e) => {
                for a in actions {
                    if !e.actions.contains(&a) {
                        e.actions.push(a);
                    }
                }
            }
            None => entries.push(AccessEntry {
                kind: scope.kind,
                name: scope.name,
                actions,
            }),
        }
    }
    Ok(entries)
}

/// The facts of a namespace for a user, from the cache when possible.
async fn facts_cached(
    db: &impl ConnectionTrait,
    cache: &AuthCache,
    namespace: Option<&NamespaceName>,
    user_id: Option<i64>,
) -> Result<Option<NamespaceFacts>, AppError> {
    let key = (namespace.map_or(String::new(), |n| n.to_string()), user_id);
    if let Some(hit) = cache.facts.get(&key).await {
        return Ok(hit);
    }
    // Boxed: the database read's future is large, and the cached path should not carry it.
    let facts = Box::pin(async {
        Ok::<_, AppError>(match namespaces::find(db, namespace).await? {
            Some(ns) => Some(namespaces::facts(db, &ns, user_id).await?),
            None => None,
        })
    })
    .await?;
    cache.facts.insert(key, facts).await;
    Ok(facts)
}

/// Whether the repository `name` is an orphan, from the cache when possible.
async fn orphan_cached(db: &impl ConnectionTrait, cache: &AuthCache, name: &str) -> Result<bool, AppError> {
    match cache.any_orphans.get() {
        Ok(false) => return Ok(false),
        Ok(true) => {}
        Err(generation) => {
            let any = Box::pin(super::store::repositories::any_orphans(db)).await?;
            cache.any_orphans.learn(generation, any);
            if !any {
                return Ok(false);
            }
        }
    }
    if let Some(hit) = cache.orphans.get(name).await {
        return Ok(hit);
    }
    let orphan = Box::pin(super::store::repositories::is_orphan(db, name)).await?;
    cache.orphans.insert(name.to_owned(), orphan).await;
    Ok(orphan)
}

/// Checks the service, parses scopes, decides and signs.
pub async fn issue(
    state: &AppState,
    identity: Option<&Identity>,
    service: Option<&str>,
    raw_scopes: &[&str],
) -> Result<TokenResponse, AppError> {
    if let Some(service) = service {
        if service != state.config.service {
            return Err(AppError::BadRequest(format!(
                "unknown service {:?}",
                service.chars().take(100).collect::<String>()
            )));
        }
    }
    let scopes = parse_scopes(raw_scopes)?;
    let access = grant(&state.db, &state.auth_cache, &state.config.policy(), identity, scopes).await?;
    let subject = identity.map_or("", |i| i.name.as_str());
    state
        .issuer
        .issue(subject, access)
        .map_err(|e| super::internal("signing a token")(&e))
}
