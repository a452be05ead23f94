//! One sync run.
//!
//! Reads the catalog, every repository's tags and each tag's digest (`HEAD`, so no pull is
//! counted) from a healthy replica with bounded concurrency, then adds and updates what the
//! database lacks. Writes never undo newer knowledge: a tag pushed or deleted by an event during
//! the run keeps the event's outcome. Removals happen only with `update-delete`, only for
//! tags untouched since the run started, and only under the guard's share.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use sea_orm::{DatabaseConnection, EntityTrait};

use super::client::{ManifestHead, RegistryClient, RegistryError};
use crate::backend::entity::{repository, sync_run, tag};
use crate::backend::events::ingest::deletes_after;
use crate::backend::store::activity::{self, NewActivity};
use crate::backend::store::tags::{TagPush, TagWrite};
use crate::backend::store::{repositories, sync_runs, tags};
use crate::backend::token::TokenIssuer;
use crate::domain::dto::SyncRunSummary;
use crate::domain::{AppError, RepositoryName, SyncStatus, SyncStrategy};

/// Errors kept per run (the rest are counted).
const MAX_ERRORS: usize = 50;

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub strategy: SyncStrategy,
    /// Largest share of known tags one run may remove without confirmation (0.0–1.0).
    pub max_delete_share: f64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// An admin confirmed: remove even beyond the guard's share.
    pub confirm_deletions: bool,
    /// `schedule`, `cli` or `console`.
    pub trigger: String,
    /// Who runs it (the process name in the job lease, or `cli`).
    pub runner: String,
}

impl SyncOptions {
    /// What the configuration asks for, for a run started by `trigger` and run by `runner`.
    pub fn configured(config: &crate::backend::config::Config, trigger: &str, runner: &str) -> SyncOptions {
        SyncOptions {
            strategy: config.sync_strategy,
            max_delete_share: config.sync_max_delete_share,
            concurrency: config.sync_concurrency,
            confirm_deletions: false,
            trigger: trigger.to_owned(),
            runner: runner.to_owned(),
        }
    }
}

/// Reported after each repository.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub repositories_total: u64,
    pub repositories_done: u64,
}

impl From<&sync_run::Model> for SyncRunSummary {
    fn from(r: &sync_run::Model) -> Self {
        SyncRunSummary {
            id: r.id,
            started_at: r.started_at.to_rfc3339(),
            finished_at: r.finished_at.map(|t| t.to_rfc3339()),
            trigger: r.trigger.clone(),
            strategy: r.strategy.to_string(),
            status: r.status.to_string(),
            runner: r.runner.clone(),
            replica_url: r.replica_url.clone(),
            repositories_seen: r.repositories_seen,
            tags_seen: r.tags_seen,
            tags_added: r.tags_added,
            tags_updated: r.tags_updated,
            tags_removed: r.tags_removed,
            removals_held: r.removals_held,
            errors: r.errors.lines().map(str::to_owned).filter(|l| !l.is_empty()).collect(),
        }
    }
}

/// One tag as the registry reported it, and when wharf asked (before the request: the
/// registry's state at that moment is what the answer reflects at the earliest).
struct SeenTag {
    name: String,
    head: Option<ManifestHead>,
    asked_at: DateTime<Utc>,
}

/// What the registry holds for one repository.
struct Observed {
    name: RepositoryName,
    tags: Result<Vec<SeenTag>, RegistryError>,
}

async fn observe(client: &RegistryClient, name: RepositoryName) -> Observed {
    let tags = async {
        let mut out = Vec::new();
        for t in client.tags(name.as_str()).await? {
            let asked_at = Utc::now();
            let head = client.head_manifest(name.as_str(), &t).await?;
            out.push(SeenTag {
                name: t,
                head,
                asked_at,
            });
        }
        Ok(out)
    }
    .await;
    Observed { name, tags }
}

/// What one repository contributed to the run.
#[derive(Default)]
struct RepoOutcome {
    error: Option<String>,
    tags_seen: i64,
    added: i64,
    updated: i64,
    candidates: Vec<Candidate>,
    vanished: Option<i64>,
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A tag sync would remove, pending confirmation that the registry really lacks it.
struct Candidate {
    id: i64,
    repository: String,
    tag: String,
}

struct Run {
    model: sync_run::Model,
    errors: Vec<String>,
}

impl Run {
    fn error(&mut self, e: impl std::fmt::Display) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(e.to_string().replace('\n', " "));
        } else if self.errors.len() == MAX_ERRORS {
            self.errors.push("… more errors not kept".into());
        }
    }
}

/// Runs one sync and stores it; the summary is returned even when the run failed.
pub async fn run_sync(
    db: &DatabaseConnection,
    issuer: &Arc<TokenIssuer>,
    opts: &SyncOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<SyncRunSummary, AppError> {
    let model = sync_runs::start(db, &opts.trigger, opts.strategy, &opts.runner).await?;
    let mut run = Run {
        model,
        errors: Vec::new(),
    };
    let status = match reconcile(db, issuer, opts, &mut run, progress).await {
        Ok(status) => status,
        Err(e) => {
            run.error(&e);
            SyncStatus::Failed
        }
    };
    run.model.status = status;
    run.model.finished_at = Some(Utc::now());
    run.model.errors = run.errors.join("\n");
    let saved = sync_runs::save(db, run.model).await?;
    tracing::info!(
        run = saved.id,
        status = %saved.status,
        added = saved.tags_added,
        updated = saved.tags_updated,
        removed = saved.tags_removed,
        held = saved.removals_held,
        "sync finished"
    );
    Ok(SyncRunSummary::from(&saved))
}

async fn reconcile(
    db: &DatabaseConnection,
    issuer: &Arc<TokenIssuer>,
    opts: &SyncOptions,
    run: &mut Run,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<SyncStatus, AppError> {
    let started = run.model.started_at;
    let client = super::healthy_client(db, issuer).await?;
    run.model.replica_url = Some(client.base().to_owned());
    let catalog = client
        .catalog()
        .await
        .map_err(|e| AppError::internal(format!("reading the catalog: {e}")))?;

    // What the database knows, loaded once.
    let known_repos: HashMap<String, repository::Model> = repository::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.name.clone(), r))
        .collect();
    let mut known_tags: HashMap<i64, HashMap<String, tag::Model>> = HashMap::new();
    let mut known_tag_count = 0usize;
    for t in tag::Entity::find().all(db).await? {
        known_tag_count += 1;
        known_tags.entry(t.repository_id).or_default().insert(t.name.clone(), t);
    }

    let mut names = Vec::with_capacity(catalog.len());
    for raw in &catalog {
        match RepositoryName::try_from(raw.as_str()) {
            Ok(n) => names.push(n),
            Err(e) => run.error(format!("catalog entry skipped: {e}")),
        }
    }
    let in_catalog: HashSet<String> = catalog.iter().cloned().collect();
    let total = names.len() as u64;
    run.model.repositories_seen = total as i64;
    progress(Progress {
        repositories_total: total,
        repositories_done: 0,
    });

    let mut candidates: Vec<Candidate> = Vec::new();
    let mut vanished_repos = Vec::new();
    let mut failed_repos = 0usize;
    let mut done = 0u64;
    // Reading runs in its own task so requests stay in flight while results are written.
    let (tx, observations) = tokio::sync::mpsc::channel::<Observed>(opts.concurrency.max(1) * 4);
    let reader = {
        let (client, concurrency) = (client.clone(), opts.concurrency.max(1));
        tokio::spawn(async move {
            let mut stream = futures::stream::iter(names.into_iter().map(|n| {
                let client = client.clone();
                async move { observe(&client, n).await }
            }))
            .buffer_unordered(concurrency);
            while let Some(obs) = stream.next().await {
                if tx.send(obs).await.is_err() {
                    break;
                }
            }
        })
    };
    // Stop reading if this run ends early (an error below).
    let _stop_reader = AbortOnDrop(reader);
    let candidate = |repo: &str, t: &tag::Model| Candidate {
        id: t.id,
        repository: repo.to_owned(),
        tag: t.name.clone(),
    };
    // Several repositories are written at once (each in its own transaction): on PostgreSQL
    // the round trips overlap; on SQLite the write gate serialises them anyway.
    let writers = opts.concurrency.clamp(1, 4);
    let (known_repos_ref, known_tags_ref) = (&known_repos, &known_tags);
    let outcomes = futures::stream::unfold(observations, |mut rx| async move { rx.recv().await.map(|o| (o, rx)) })
        .map(|obs| async move {
            let listed = match obs.tags {
                Ok(listed) => listed,
                Err(e) => {
                    return Ok::<_, AppError>(RepoOutcome {
                        error: Some(format!("{}: {e}", obs.name)),
                        ..Default::default()
                    })
                }
            };
            let known_repo = known_repos_ref.get(obs.name.as_str());
            let known = known_repo.and_then(|r| known_tags_ref.get(&r.id));
            let listed_names: HashSet<&str> = listed.iter().map(|t| t.name.as_str()).collect();
            let mut out = RepoOutcome {
                tags_seen: listed.len() as i64,
                ..Default::default()
            };
            if let Some(known) = known {
                out.candidates = known
                    .values()
                    .filter(|t| !listed_names.contains(t.name.as_str()) && tags::seen(t) < started)
                    .map(|t| candidate(obs.name.as_str(), t))
                    .collect();
            }
            if listed.is_empty() {
                // The registry keeps a repository's directory after its last tag goes: an
                // empty repository is not worth recording, and a known one may go.
                out.vanished = known_repo.map(|r| r.id);
            } else {
                let (added, updated) = apply_repository(db, &obs.name, listed, known).await?;
                out.added = added;
                out.updated = updated;
            }
            Ok(out)
        })
        .buffer_unordered(writers);
    let mut outcomes = std::pin::pin!(outcomes);
    while let Some(outcome) = outcomes.next().await {
        let outcome = outcome?;
        done += 1;
        if let Some(e) = outcome.error {
            failed_repos += 1;
            run.error(e);
        }
        run.model.tags_seen += outcome.tags_seen;
        run.model.tags_added += outcome.added;
        run.model.tags_updated += outcome.updated;
        candidates.extend(outcome.candidates);
        vanished_repos.extend(outcome.vanished);
        progress(Progress {
            repositories_total: total,
            repositories_done: done,
        });
    }

    // Repositories the registry no longer lists at all.
    for (name, repo) in &known_repos {
        if in_catalog.contains(name) {
            continue;
        }
        vanished_repos.push(repo.id);
        if let Some(known) = known_tags.get(&repo.id) {
            candidates.extend(
                known
                    .values()
                    .filter(|t| tags::seen(t) < started)
                    .map(|t| candidate(name, t)),
            );
        }
    }

    if opts.strategy == SyncStrategy::Update {
        return Ok(status_of(failed_repos));
    }
    // A listing can come back short (a storage hiccup, a proxy): remove only what a HEAD
    // confirms is gone.
    let confirmed = confirm_missing(&client, candidates, opts.concurrency, run).await;
    let limit = (known_tag_count as f64 * opts.max_delete_share.clamp(0.0, 1.0)).floor() as usize;
    if confirmed.len() > limit && !opts.confirm_deletions {
        run.model.removals_held = confirmed.len() as i64;
        run.error(format!(
            "{} of {known_tag_count} known tags would be removed, more than the {:.0}% a run may remove alone; confirm with `wharf sync --confirm-deletions` or in the console",
            confirmed.len(),
            opts.max_delete_share * 100.0
        ));
        return Ok(SyncStatus::NeedsConfirmation);
    }
    let txn = crate::backend::db::begin_write(db).await?;
    let removed = tags::remove_ids_pushed_before(&*txn, &confirmed, started).await?;
    let mut repos_removed = 0;
    for id in vanished_repos {
        // Only when nothing was pushed to it since the run started.
        if tags::list(&*txn, id).await?.is_empty() {
            let fresh = repository::Entity::find_by_id(id).one(&*txn).await?;
            if fresh.is_some_and(|r| r.updated_at < started) {
                repositories::remove(&*txn, id).await?;
                repos_removed += 1;
            }
        }
    }
    if removed > 0 || repos_removed > 0 {
        let details = format!("{removed} tags and {repos_removed} repositories the registry no longer has");
        activity::record(
            &*txn,
            NewActivity {
                actor_name: super::SERVICE_SUBJECT,
                kind: "sync.removed",
                target: "registry",
                details: &details,
                ..Default::default()
            },
        )
        .await?;
    }
    txn.commit().await?;
    run.model.tags_removed = removed as i64;
    Ok(status_of(failed_repos))
}

fn status_of(failed_repos: usize) -> SyncStatus {
    if failed_repos == 0 {
        SyncStatus::Succeeded
    } else {
        SyncStatus::Partial
    }
}

/// The candidates whose manifest the registry answers 404 for; errors keep the tag.
async fn confirm_missing(
    client: &RegistryClient,
    candidates: Vec<Candidate>,
    concurrency: usize,
    run: &mut Run,
) -> Vec<i64> {
    let checks = futures::stream::iter(candidates.into_iter().map(|c| async move {
        let result = client.head_manifest(&c.repository, &c.tag).await;
        (c, result)
    }))
    .buffer_unordered(concurrency.max(1))
    .collect::<Vec<_>>()
    .await;
    let mut gone = Vec::new();
    for (c, result) in checks {
        match result {
            Ok(None) => gone.push(c.id),
            Ok(Some(_)) => {}
            Err(e) => run.error(format!("kept {}:{}: {e}", c.repository, c.tag)),
        }
    }
    gone
}

/// Adds and updates one repository's tags in one transaction.
/// Returns (added, updated).
async fn apply_repository(
    db: &DatabaseConnection,
    name: &RepositoryName,
    listed: Vec<SeenTag>,
    known: Option<&HashMap<String, tag::Model>>,
) -> Result<(i64, i64), AppError> {
    let changes: Vec<(String, ManifestHead, DateTime<Utc>)> = listed
        .into_iter()
        .filter_map(|t| t.head.map(|h| (t.name, h, t.asked_at)))
        .filter(|(t, h, _)| known.and_then(|k| k.get(t)).is_none_or(|k| k.digest != h.digest))
        .collect();
    if changes.is_empty() && known.is_some() {
        return Ok((0, 0));
    }
    let (mut added, mut updated) = (0, 0);
    let first_seen = changes.iter().map(|c| c.2).min().unwrap_or_else(Utc::now);
    let txn = crate::backend::db::begin_write(db).await?;
    let (repo, _) = repositories::ensure(&*txn, name, first_seen).await?;
    // Deletes the registry reported after sync looked: those tags must not come back.
    let deletes = deletes_after(&*txn, name.as_str(), first_seen).await?;
    let mut fresh = Vec::new();
    let mut others = Vec::new();
    for (t, head, asked_at) in &changes {
        if deletes.cover(t, &head.digest, *asked_at) {
            continue;
        }
        let push = TagPush {
            repository_id: repo.id,
            tag: t,
            digest: &head.digest,
            media_type: &head.media_type,
            size: head.size,
            pushed_by: None,
            at: *asked_at,
        };
        // Unknown to the snapshot: most likely new, inserted together in one statement.
        if known.is_none_or(|k| !k.contains_key(t)) {
            fresh.push(push);
        } else {
            others.push(push);
        }
    }
    // Their manifests are read later, for the image pages.
    let digests: Vec<&str> = changes.iter().map(|(_, h, _)| h.digest.as_str()).collect();
    crate::backend::store::images::note_digests(&*txn, repo.id, &digests, first_seen).await?;
    let inserted = tags::insert_many_new(&*txn, &fresh).await?;
    added += inserted as i64;
    if inserted < fresh.len() as u64 {
        // Some appeared meanwhile (an event): settle each by the usual rules; the ones just
        // inserted come back as `Refreshed` and change nothing.
        others.extend(fresh);
    }
    for push in others {
        match tags::record_push(&*txn, push).await? {
            TagWrite::Added => added += 1,
            TagWrite::Moved => updated += 1,
            TagWrite::Refreshed | TagWrite::Stale => {}
        }
    }
    txn.commit().await?;
    Ok((added, updated))
}

/// Reads the registry exactly as a sync does (catalog, tags, manifest `HEAD`s, same
/// concurrency) and writes nothing. Returns (repositories, tags, failures): the baseline a
/// sync's own cost is measured against.
pub async fn read_only_pass(
    db: &DatabaseConnection,
    issuer: &Arc<TokenIssuer>,
    concurrency: usize,
) -> Result<(u64, u64, u64), AppError> {
    let client = super::healthy_client(db, issuer).await?;
    let catalog = client
        .catalog()
        .await
        .map_err(|e| AppError::internal(format!("reading the catalog: {e}")))?;
    let names = catalog.iter().filter_map(|n| RepositoryName::try_from(n.as_str()).ok());
    let mut observations =
        futures::stream::iter(names.map(|n| observe(&client, n))).buffer_unordered(concurrency.max(1));
    let (mut repos, mut tags, mut failures) = (0, 0, 0);
    while let Some(obs) = observations.next().await {
        repos += 1;
        match obs.tags {
            Ok(t) => tags += t.len() as u64,
            Err(_) => failures += 1,
        }
    }
    Ok((repos, tags, failures))
}
