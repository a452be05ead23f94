//! Tag retention: a policy per namespace (with per-repository overrides), its plan, and runs
//! that delete what the plan says through the registry. The rules are evaluated by
//! `domain::retention::plan`, the same function the console's preview shows.

use std::collections::HashMap;

use super::caller::RETENTION_NAME;
use super::Caller;
use crate::authz::{self, Grant, NamespaceFacts};
use crate::backend::db::begin_write;
use crate::backend::entity::{namespace, retention_run};
use crate::backend::store::{self, retention as store_retention};
use crate::backend::sync::delete;
use crate::backend::AppState;
use crate::domain::retention::{
    self, FailedDeletion, RepositoryRetention, RepositoryStorage, RetentionPlan, RetentionReport, RetentionRules,
    RetentionRunRow, RetentionSettings, StorageReport,
};
use crate::domain::scope::Action;
use crate::domain::{AppError, RepositoryName, RetentionStatus, RetentionTrigger, TagName};

/// Runs listed with a namespace's settings.
const RUNS_SHOWN: u64 = 10;

/// A namespace the caller may see, whether they may manage its retention.
async fn visible(
    state: &AppState,
    c: &Caller,
    name: &str,
) -> Result<(namespace::Model, NamespaceFacts, bool), AppError> {
    let (ns, facts) = c.namespace(state, name).await?;
    let may = authz::may_manage_retention(&c.subject, &facts);
    Ok((ns, facts, may))
}

/// A namespace whose retention the caller manages, or 401/403/404.
async fn managed(state: &AppState, c: &Caller, name: &str) -> Result<(namespace::Model, NamespaceFacts), AppError> {
    if c.user.is_none() && !c.is_operator() {
        return Err(AppError::Unauthorized("sign in first".into()));
    }
    let (ns, facts, may) = visible(state, c, name).await?;
    if !may {
        return Err(AppError::Forbidden(
            "only the namespace's owners may change its retention".into(),
        ));
    }
    Ok((ns, facts))
}

/// `REPO` or `NS/REPO`: the repository of namespace `ns` it names.
async fn repository_in(
    state: &AppState,
    ns: &namespace::Model,
    repository: &str,
) -> Result<crate::backend::entity::repository::Model, AppError> {
    let full = if ns.name.is_empty() || repository.starts_with(&format!("{}/", ns.name)) {
        repository.to_owned()
    } else {
        format!("{}/{repository}", ns.name)
    };
    let name = RepositoryName::try_from(full.clone())?;
    store::repositories::find_by_name(&state.db, name.as_str())
        .await?
        .filter(|r| r.namespace_id == Some(ns.id))
        .ok_or_else(|| AppError::NotFound(format!("no repository named {full:?} in this namespace")))
}

fn run_row(r: retention_run::Model, with_report: bool) -> RetentionRunRow {
    let report = with_report.then(|| serde_json::from_str(&r.report).unwrap_or_default());
    RetentionRunRow {
        id: r.id,
        trigger: r.trigger,
        actor: r.actor,
        status: r.status,
        started_at: r.started_at.to_rfc3339(),
        finished_at: r.finished_at.map(|t| t.to_rfc3339()),
        deleted_images: r.deleted_images,
        deleted_tags: r.deleted_tags,
        kept_images: r.kept_images,
        error: r.error,
        report,
    }
}

async fn settings_of(state: &AppState, ns: &namespace::Model, may_manage: bool) -> Result<RetentionSettings, AppError> {
    let mut policy = None;
    let mut overrides = Vec::new();
    let policies = store_retention::policies(&state.db, ns.id).await?;
    let names: HashMap<i64, String> = store::repositories::list(&state.db, Some(ns.id))
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    for (row, rules) in policies {
        match row.repository_id {
            None => policy = Some(rules),
            Some(id) => overrides.push(RepositoryRetention {
                repository: names.get(&id).cloned().unwrap_or_default(),
                rules,
            }),
        }
    }
    overrides.sort_by(|a, b| a.repository.cmp(&b.repository));
    let runs = store_retention::runs(&state.db, ns.id, RUNS_SHOWN)
        .await?
        .into_iter()
        .map(|r| run_row(r, false))
        .collect();
    Ok(RetentionSettings {
        namespace: ns.name.clone(),
        policy,
        overrides,
        runs,
        may_manage,
        max_delete_share: state.config.retention_max_delete_share,
    })
}

/// The namespace's policy, overrides and last runs (anyone who may see the namespace).
pub async fn show(state: &AppState, c: &Caller, namespace: &str) -> Result<RetentionSettings, AppError> {
    let (ns, _, may) = visible(state, c, namespace).await?;
    settings_of(state, &ns, may).await
}

/// Sets the namespace's policy (`repository: None`) or one repository's override.
pub async fn set(
    state: &AppState,
    c: &Caller,
    namespace: &str,
    repository: Option<&str>,
    rules: RetentionRules,
) -> Result<RetentionSettings, AppError> {
    let (ns, _) = managed(state, c, namespace).await?;
    rules.validate().map_err(AppError::BadRequest)?;
    let repo = match repository {
        Some(r) => Some(repository_in(state, &ns, r).await?),
        None => None,
    };
    let txn = begin_write(&state.db).await?;
    store_retention::set_policy(
        &*txn,
        ns.id,
        repo.as_ref().map(|r| r.id),
        &rules,
        c.name(),
        state.clock.now(),
    )
    .await?;
    let target = repo.as_ref().map_or(ns.name.as_str(), |r| r.name.as_str());
    let details = serde_json::to_string(&rules).unwrap_or_default();
    c.audit(&*txn, "retention.updated", Some(ns.id), target, &details)
        .await?;
    txn.commit().await?;
    settings_of(state, &ns, true).await
}

/// Removes the namespace's policy or a repository's override (404 when there is none).
pub async fn clear(
    state: &AppState,
    c: &Caller,
    namespace: &str,
    repository: Option<&str>,
) -> Result<RetentionSettings, AppError> {
    let (ns, _) = managed(state, c, namespace).await?;
    let repo = match repository {
        Some(r) => Some(repository_in(state, &ns, r).await?),
        None => None,
    };
    let txn = begin_write(&state.db).await?;
    if !store_retention::clear_policy(&*txn, ns.id, repo.as_ref().map(|r| r.id)).await? {
        return Err(AppError::NotFound("there is no such retention policy".into()));
    }
    let target = repo.as_ref().map_or(ns.name.as_str(), |r| r.name.as_str());
    c.audit(&*txn, "retention.cleared", Some(ns.id), target, "").await?;
    txn.commit().await?;
    settings_of(state, &ns, true).await
}

/// Rules not yet saved, to preview: for the namespace (`repository: None`) or a repository.
#[derive(Debug, Clone)]
pub struct Draft {
    pub repository: Option<String>,
    pub rules: RetentionRules,
}

/// What the stored policy (or `draft` in its place) would delete and keep now.
async fn compute(state: &AppState, ns: &namespace::Model, draft: Option<Draft>) -> Result<RetentionPlan, AppError> {
    let mut ns_rules: Option<RetentionRules> = None;
    let mut overrides: HashMap<i64, RetentionRules> = HashMap::new();
    for (row, rules) in store_retention::policies(&state.db, ns.id).await? {
        match row.repository_id {
            None => ns_rules = Some(rules),
            Some(id) => {
                overrides.insert(id, rules);
            }
        }
    }
    if let Some(d) = draft {
        d.rules.validate().map_err(AppError::BadRequest)?;
        match d.repository {
            None => ns_rules = Some(d.rules),
            Some(r) => {
                let repo = repository_in(state, ns, &r).await?;
                overrides.insert(repo.id, d.rules);
            }
        }
    }
    let now = state.clock.now().timestamp();
    let mut plan = RetentionPlan::default();
    let none = RetentionRules::default();
    for (repo, manifests) in store_retention::contents(&state.db, ns.id).await? {
        let rules = overrides.get(&repo.id).or(ns_rules.as_ref()).unwrap_or(&none);
        plan.extend(retention::plan(&repo.name, rules, &manifests, now));
    }
    Ok(plan)
}

/// What a run would delete now, and what it keeps and why. With `draft`, for rules not yet
/// saved (the console's preview).
pub async fn plan(
    state: &AppState,
    c: &Caller,
    namespace: &str,
    draft: Option<Draft>,
) -> Result<RetentionPlan, AppError> {
    let (ns, _) = managed(state, c, namespace).await?;
    compute(state, &ns, draft).await
}

/// Blob digest → size.
type Blobs<'a> = HashMap<&'a str, i64>;

/// The namespace's disk space per repository, and what the garbage collection would free
/// once the saved policy's plan is carried out: the blobs that only the plan's deleted
/// manifests use, checked against every manifest kept in any repository (the registry's
/// garbage collection is registry-wide: a layer another image uses stays).
pub async fn storage(state: &AppState, c: &Caller, namespace: &str) -> Result<StorageReport, AppError> {
    let (ns, _, _) = visible(state, c, namespace).await?;
    let plan = compute(state, &ns, None).await?;
    let repos: HashMap<String, i64> = store::repositories::list(&state.db, Some(ns.id))
        .await?
        .into_iter()
        .map(|r| (r.name, r.id))
        .collect();
    let mut deleted: std::collections::HashSet<(i64, String)> = std::collections::HashSet::new();
    for d in &plan.delete {
        if let Some(id) = repos.get(&d.repository) {
            deleted.insert((*id, d.digest.clone()));
            deleted.extend(d.accessories.iter().map(|a| (*id, a.clone())));
        }
    }
    let held = store_retention::all_held(&state.db).await?;
    let mut digests: Vec<String> = held.iter().map(|(_, d)| d.clone()).collect();
    digests.sort();
    digests.dedup();
    let blobs = store_retention::blobs_of(&state.db, &digests).await?;
    // Blobs a manifest that stays uses, anywhere in the registry.
    let mut kept: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (repo, digest) in &held {
        if !deleted.contains(&(*repo, digest.clone())) {
            kept.extend(blobs.get(digest).into_iter().flatten().map(|(b, _)| b.as_str()));
        }
    }
    let mut report = StorageReport::default();
    let mut namespace_used: HashMap<&str, i64> = HashMap::new();
    let mut namespace_freed: HashMap<&str, i64> = HashMap::new();
    let names: HashMap<i64, &str> = repos.iter().map(|(n, id)| (*id, n.as_str())).collect();
    // Per repository: the blobs it uses, and those the plan frees (digest → size).
    let mut per_repo: std::collections::BTreeMap<&str, (Blobs<'_>, Blobs<'_>)> =
        names.values().map(|n| (*n, (HashMap::new(), HashMap::new()))).collect();
    for (repo, digest) in &held {
        let Some(name) = names.get(repo).copied() else { continue };
        let Some(list) = blobs.get(digest) else {
            report.manifests_unread += 1;
            continue;
        };
        let (used, freed) = per_repo.entry(name).or_default();
        let gone = deleted.contains(&(*repo, digest.clone()));
        for (blob, size) in list {
            used.insert(blob, *size);
            namespace_used.insert(blob, *size);
            if gone && !kept.contains(blob.as_str()) {
                freed.insert(blob, *size);
                namespace_freed.insert(blob, *size);
            }
        }
    }
    report.in_use = namespace_used.values().sum();
    report.freed_by_plan = namespace_freed.values().sum();
    report.repositories = per_repo
        .into_iter()
        .map(|(name, (used, freed))| RepositoryStorage {
            repository: name.to_owned(),
            in_use: used.values().sum(),
            freed_by_plan: freed.values().sum(),
        })
        .collect();
    Ok(report)
}

/// Runs the namespace's policy now: deletes what the plan lists through the registry, each
/// image with every tag on it and its accessories. A run that would delete more than
/// `retention_max_delete_share` of the namespace's tags is recorded as held unless `confirm`.
pub async fn run(state: &AppState, c: &Caller, namespace: &str, confirm: bool) -> Result<RetentionRunRow, AppError> {
    let (ns, facts) = managed(state, c, namespace).await?;
    let grant = authz::authorize(
        &state.config.policy(),
        &c.subject,
        authz::Target::Namespace(Some(&facts)),
        Action::Delete,
    )
    .ok_or_else(|| AppError::Forbidden("you may not delete images here".into()))?;
    execute(state, c, &ns, grant, RetentionTrigger::Manual, confirm).await
}

async fn execute(
    state: &AppState,
    c: &Caller,
    ns: &namespace::Model,
    grant: Grant,
    trigger: RetentionTrigger,
    confirm: bool,
) -> Result<RetentionRunRow, AppError> {
    let plan = compute(state, ns, None).await?;
    let started = std::time::Instant::now();
    let run = store_retention::start_run(&state.db, ns.id, trigger, c.name(), state.clock.now()).await?;
    let total_tags = plan.deleted_tags() + plan.kept_tags();
    let share = if total_tags == 0 {
        0.0
    } else {
        plan.deleted_tags() as f64 / total_tags as f64
    };
    let kept_images = plan.keep.len() as i64;
    if share > state.config.retention_max_delete_share && !confirm {
        let report = RetentionReport {
            deleted: plan.delete,
            kept: plan.keep,
            failed: Vec::new(),
        };
        let message = format!(
            "held: it would delete {} of the namespace's {total_tags} tags ({:.0} %, above retention_max_delete_share {:.0} %); run it again confirmed",
            report.deleted.iter().map(|d| d.tags.len()).sum::<usize>(),
            share * 100.0,
            state.config.retention_max_delete_share * 100.0
        );
        return finish(
            state,
            c,
            ns,
            run,
            RetentionStatus::NeedsConfirmation,
            report,
            kept_images,
            Some(message),
            started,
        )
        .await;
    }

    let mut report = RetentionReport {
        kept: plan.keep,
        ..Default::default()
    };
    for d in plan.delete {
        let repository = RepositoryName::try_from(d.repository.clone())?;
        let done = match d.tags.first() {
            Some(tag) => {
                let tag = TagName::try_from(tag.clone())?;
                let request = delete::Deletion {
                    repository: &repository,
                    tag: &tag,
                    digest: &d.digest,
                    actor_user_id: c.user_id(),
                    actor: c.name(),
                    client_addr: c.client_addr.as_deref(),
                    registry_host: state.config.registry_host.as_deref(),
                };
                delete::delete_tag(&state.db, &state.issuer, grant, request)
                    .await
                    .map(|p| p.tags)
            }
            None => delete::delete_untagged(
                &state.db,
                &state.issuer,
                grant,
                &repository,
                &d.digest,
                (c.user_id(), c.name()),
            )
            .await
            .map(|_| Vec::new()),
        };
        match done {
            Ok(tags) => report.deleted.push(retention::PlannedDeletion { tags, ..d }),
            Err(e) => report.failed.push(FailedDeletion {
                repository: d.repository,
                digest: d.digest,
                error: e.to_string(),
            }),
        }
    }
    state.webhooks.wake();
    let (status, error) = match (report.failed.len(), report.deleted.len()) {
        (0, _) => (RetentionStatus::Succeeded, None),
        (n, 0) => (RetentionStatus::Failed, Some(format!("{n} deletions failed"))),
        (n, _) => (RetentionStatus::Partial, Some(format!("{n} deletions failed"))),
    };
    finish(state, c, ns, run, status, report, kept_images, error, started).await
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    state: &AppState,
    c: &Caller,
    ns: &namespace::Model,
    run: retention_run::Model,
    status: RetentionStatus,
    report: RetentionReport,
    kept_images: i64,
    error: Option<String>,
    started: std::time::Instant,
) -> Result<RetentionRunRow, AppError> {
    let held = status == RetentionStatus::NeedsConfirmation;
    let (deleted_images, deleted_tags) = if held {
        (0, 0)
    } else {
        (
            report.deleted.len() as i64,
            report.deleted.iter().map(|d| d.tags.len() as i64).sum(),
        )
    };
    let json = serde_json::to_string(&report).map_err(|e| AppError::internal(e.to_string()))?;
    let txn = begin_write(&state.db).await?;
    let outcome = store_retention::RunOutcome {
        status,
        deleted_images,
        deleted_tags,
        kept_images,
        report: &json,
        error: error.clone(),
    };
    let row = store_retention::finish_run(&*txn, run, outcome, state.clock.now()).await?;
    let details = format!(
        "run {}: {status}, {deleted_images} images ({deleted_tags} tags) deleted, {kept_images} kept{}",
        row.id,
        error.map(|e| format!("; {e}")).unwrap_or_default()
    );
    c.audit(&*txn, "retention.run", Some(ns.id), &ns.name, &details).await?;
    txn.commit().await?;
    state.metrics.retention_run(status.as_str(), deleted_images as u64);
    tracing::info!(namespace = %ns.name, %status, deleted_images, took_ms = started.elapsed().as_millis() as u64, "retention run");
    let mut out = run_row(row, false);
    out.report = Some(report);
    Ok(out)
}

/// The scheduled runs (on the elected leader): every namespace with a policy whose last run,
/// and last policy change, are at least `retention_interval_secs` ago. Returns how many ran.
pub async fn run_due(state: &AppState) -> Result<usize, AppError> {
    let every = state.config.retention_interval_secs;
    if every == 0 {
        return Ok(0);
    }
    let c = Caller::system(RETENTION_NAME);
    let now = state.clock.now();
    let mut ran = 0;
    for (id, changed) in store_retention::namespaces_with_policies(&state.db).await? {
        // A new or changed policy first runs one interval later: time to look at its plan.
        let since = store_retention::last_started(&state.db, id)
            .await?
            .map_or(changed, |t| t.max(changed));
        let due = (now - since).num_seconds() >= every as i64;
        if !due {
            continue;
        }
        let Some(ns) = store::namespaces::by_id(&state.db, id).await? else {
            continue;
        };
        let facts = store::namespaces::facts(&state.db, &ns, None).await?;
        let Some(grant) = authz::authorize(
            &state.config.policy(),
            &c.subject,
            authz::Target::Namespace(Some(&facts)),
            Action::Delete,
        ) else {
            continue;
        };
        match execute(state, &c, &ns, grant, RetentionTrigger::Schedule, false).await {
            Ok(_) => ran += 1,
            Err(e) => tracing::warn!(namespace = %ns.name, error = %e.detailed(), "scheduled retention run"),
        }
    }
    Ok(ran)
}
