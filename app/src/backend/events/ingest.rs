//! Applying checked events to the database. The envelopes that arrive together are applied in
//! one transaction (group commit: [`super::writer`] gathers them), each answered with its own
//! report once that transaction is committed, so the registry gets a 2xx only for committed
//! events (and a 5xx, hence a retry, otherwise).
//!
//! Statements a batch shares run once for it: the event-id claims are one insert, the earlier
//! deletes one query, the audit entries one insert, each namespace's hooks one read; and each
//! run of consecutive pushes reads and writes its repositories and tags once ([`apply_pushes`]).
//! Writes nothing reads back before the next event (the run's tags and digests, the audit) go
//! to the database together ([`WriteBatch`]: one round trip on PostgreSQL).

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};

use sea_orm::sea_query::{Expr, InsertStatement, OnConflict, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Statement};
use serde::Serialize;

use super::envelope::{EventAction, RegistryEvent};
use super::sources::ReplicaSources;
use crate::backend::entity::{activity as activity_row, registry_event, webhook};
use crate::backend::store::activity::{self, NewActivity};
use crate::backend::store::repositories::{LockedRepositories, RepositoryRef};
use crate::backend::store::tags::TagPush;
use crate::backend::store::write_batch::{self, WriteBatch};
use crate::backend::store::{images, repositories, tags};
use crate::backend::webhooks::payload::{self, Payload};
use crate::backend::webhooks::queue;
use crate::domain::{AppError, WebhookEvent};

/// What ingestion needs to know beyond the events.
#[derive(Debug, Clone, Default)]
pub struct IngestSettings {
    /// The `sub` of wharf's own service tokens: its requests are not user pulls.
    pub own_subject: String,
    /// `host:port` clients pull from, put in webhook payloads.
    pub registry_host: Option<String>,
}

impl IngestSettings {
    /// Whether an event was caused by wharf itself (sync, image details, its own deletes).
    fn is_own(&self, e: &RegistryEvent) -> bool {
        !self.own_subject.is_empty() && e.actor.as_deref() == Some(self.own_subject.as_str())
    }
}

/// How many events did what; returned to the registry as the response body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    pub applied: u32,
    pub duplicates: u32,
    pub ignored: u32,
    /// Events older than what the database already knows (out-of-order delivery).
    pub stale: u32,
    /// Webhook deliveries enqueued (with the events, in the same transaction).
    pub webhooks: u32,
}

/// One notification request: its events, and the replica named in its URL, if any.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    pub replica_name: Option<&'a str>,
    pub events: &'a [RegistryEvent],
}

/// Applies `events` (sent by the replica named `replica_name`, when the URL says) atomically.
pub async fn ingest(
    db: &DatabaseConnection,
    settings: &IngestSettings,
    sources: &ReplicaSources,
    replica_name: Option<&str>,
    events: &[RegistryEvent],
) -> Result<IngestReport, AppError> {
    let mut reports = ingest_batch(db, settings, sources, &[Envelope { replica_name, events }]).await?;
    Ok(reports.pop().unwrap_or_default())
}

/// Applies several envelopes in one transaction, in order, as if one after the other; one
/// report per envelope. All or nothing: on an error none is applied.
///
/// Boxed as `Send` here, where the lifetimes are named: the writer task spawns it, and the
/// compiler cannot prove an unboxed future of this shape `Send` for every borrow.
pub fn ingest_batch<'a>(
    db: &'a DatabaseConnection,
    settings: &'a IngestSettings,
    replicas: &'a ReplicaSources,
    envelopes: &'a [Envelope<'a>],
) -> futures::future::BoxFuture<'a, Result<Vec<IngestReport>, AppError>> {
    Box::pin(apply_batch(db, settings, replicas, envelopes))
}

async fn apply_batch(
    db: &DatabaseConnection,
    settings: &IngestSettings,
    replicas: &ReplicaSources,
    envelopes: &[Envelope<'_>],
) -> Result<Vec<IngestReport>, AppError> {
    let sources = replicas.resolve(db, envelopes).await?;
    // On PostgreSQL, repositories pushed to for the first time are created before the batch's
    // transaction, each committed on its own (see [`Batch::start`]); SQLite writes one
    // transaction at a time and creates them inside it.
    let mut create_inside = db.get_database_backend() == DbBackend::Sqlite;
    let (txn, mut batch, mut fresh) = loop {
        let txn = crate::backend::db::begin_write(db).await?;
        match Batch::start(&*txn, envelopes, &sources, create_inside).await? {
            Started::Ready(batch, fresh) => break (txn, batch, fresh),
            Started::Missing(missing) => {
                txn.rollback().await?;
                repositories::create_missing(db, &missing).await?;
                // Gone again meanwhile (an administrator's delete): created inside this time.
                create_inside = true;
            }
        }
    };
    let mut reports = vec![IngestReport::default(); envelopes.len()];
    // The new events, in order, with the envelope each came in.
    let mut todo: Vec<(usize, &RegistryEvent)> = Vec::new();
    for (i, envelope) in envelopes.iter().enumerate() {
        for event in envelope.events {
            if event.action == EventAction::Ignored {
                reports[i].ignored += 1;
            } else if fresh.remove(event.id.as_str()) {
                todo.push((i, event));
            } else {
                // Claimed by this batch once: a second copy in the same batch is a duplicate too.
                reports[i].duplicates += 1;
            }
        }
    }
    // Consecutive pushes are applied together (their repositories and tags read and written
    // once for all of them), consecutive pulls too (counted once per repository and tag); any
    // other event alone, in its place.
    let mut rest = &todo[..];
    while let Some(&(i, first)) = rest.first() {
        // What the previous run wrote is read by this one. (Before the first, only the
        // repositories' touches wait, which nothing reads: they go with the first run's writes.)
        if rest.len() < todo.len() {
            batch.writes.flush(&*txn).await?;
        }
        let run = rest.iter().take_while(|(_, e)| is_push(e)).count();
        if run > 0 {
            let (pushes, later) = rest.split_at(run);
            apply_pushes(&*txn, settings, &mut batch, pushes, &mut reports).await?;
            rest = later;
            continue;
        }
        let run = rest.iter().take_while(|(_, e)| is_pull(e)).count();
        if run > 0 {
            let (pulls, later) = rest.split_at(run);
            apply_pulls(&*txn, settings, &mut batch, pulls, &mut reports).await?;
            rest = later;
            continue;
        }
        batch.claimed(first);
        let report = &mut reports[i];
        if let Some(applied) = apply(&*txn, settings, &mut batch, first).await? {
            report.applied += 1;
            report.webhooks += applied.webhooks;
        } else {
            report.stale += 1;
        }
        rest = &rest[1..];
    }
    if let Some(audit) = activity::record_many_query(std::mem::take(&mut batch.audit)) {
        batch.writes.add(txn.get_database_backend(), &audit);
    }
    batch.writes.flush(&*txn).await?;
    txn.commit().await?;
    replicas.note(db, envelopes, &sources).await;
    Ok(reports)
}

/// The statements recording the ids of the batch's events (one per 500), each returning the ids
/// that were new (the others are retries or duplicates). A repeated id within the batch is
/// recorded once.
fn claim_queries(envelopes: &[Envelope<'_>], sources: &[Option<i64>]) -> Vec<InsertStatement> {
    use registry_event::Column as C;
    let now = chrono::Utc::now();
    let mut seen = HashSet::new();
    let mut rows = Vec::new();
    for (envelope, source) in envelopes.iter().zip(sources) {
        for e in envelope.events {
            if e.action != EventAction::Ignored && seen.insert(e.id.as_str()) {
                rows.push((e, *source));
            }
        }
    }
    // In id order: two transactions claiming the same ids (a retry crossing its original)
    // then wait for each other instead of deadlocking.
    rows.sort_unstable_by(|a, b| a.0.id.cmp(&b.0.id));
    // Eight values a row: 4,000 a statement, well inside SQLite's limit on bound parameters.
    rows.chunks(500)
        .map(|chunk| {
            let mut insert = Query::insert();
            insert
                .into_table(registry_event::Entity)
                .columns([
                    C::EventId,
                    C::Action,
                    C::Repository,
                    C::Tag,
                    C::Digest,
                    C::OccurredAt,
                    C::ReceivedAt,
                    C::ReplicaId,
                ])
                .on_conflict(OnConflict::column(C::EventId).do_nothing().to_owned())
                .returning_col(C::EventId);
            for (e, source) in chunk {
                let (tag, digest) = e.tag_and_digest();
                insert.values_panic([
                    e.id.clone().into(),
                    e.action_name().into(),
                    e.repository.to_string().into(),
                    tag.map(str::to_owned).into(),
                    digest.map(str::to_owned).into(),
                    e.occurred_at.into(),
                    now.into(),
                    (*source).into(),
                ]);
            }
            insert
        })
        .collect()
}

/// The statements reading the deletes of `names` (one per 500) that happened after `after`:
/// `repository, tag, digest, occurred_at`, after a first column that is always NULL (where the
/// combined statement of [`claim_and_read`] puts the claimed ids).
fn deletes_queries(names: &[&str], after: chrono::DateTime<chrono::Utc>) -> Vec<SelectStatement> {
    use registry_event::Column as C;
    names
        .chunks(500)
        .map(|chunk| {
            Query::select()
                .expr(Expr::cust("NULL"))
                .columns([C::Repository, C::Tag, C::Digest, C::OccurredAt])
                .from(registry_event::Entity)
                .and_where(C::Repository.is_in(chunk.iter().copied()))
                .and_where(Expr::cust(DELETES_ONLY))
                .and_where(C::OccurredAt.gt(after))
                .to_owned()
        })
        .collect()
}

/// The condition of the partial index over deletes (migration m0013), written literally: with
/// the action as a bound value the planner could not know the index applies.
pub const DELETES_ONLY: &str = "action = 'delete'";

/// A delete read back: `(repository, tag, digest, occurred_at)`.
type StoredDelete = (String, Option<String>, Option<String>, chrono::DateTime<chrono::Utc>);

fn stored_delete(row: &sea_orm::QueryResult) -> Result<StoredDelete, AppError> {
    Ok((
        row.try_get("", "repository")?,
        row.try_get("", "tag")?,
        row.try_get("", "digest")?,
        row.try_get("", "occurred_at")?,
    ))
}

/// What the statement after the locks reads besides claiming: the new event ids, the stored
/// deletes, and (when asked) the current states of the tags the batch pushes.
struct ClaimedAndRead {
    fresh: HashSet<String>,
    deletes: Vec<StoredDelete>,
    /// Read with the claim (PostgreSQL, a batch of pushes only); `None`: read later, per run.
    states: Option<TagStates>,
}

/// Reads the stored deletes, then claims the event ids. On PostgreSQL a batch that fits one
/// statement of each sends both as one: the claim as a `WITH` part, whose rows the read does
/// not see (one snapshot), so the deletes are still those received before this batch. The
/// states of `tag_keys` (`(repository id, tag)`) are read in the same statement when given:
/// one round trip for what costs three separately.
async fn claim_and_read(
    db: &impl ConnectionTrait,
    claims: Vec<InsertStatement>,
    reads: Vec<SelectStatement>,
    tag_keys: &[(i64, &str)],
) -> Result<ClaimedAndRead, AppError> {
    let mut out = ClaimedAndRead {
        fresh: HashSet::new(),
        deletes: Vec::new(),
        states: None,
    };
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres && claims.len() == 1 && reads.len() == 1 {
        let (claim, read) = (backend.build(&claims[0]), backend.build(&reads[0]));
        let claim_values = claim.values.as_ref().map_or(0, |v| v.0.len());
        let read_values = read.values.as_ref().map_or(0, |v| v.0.len());
        // Claimed ids, deletes and tag states as rows of one shape: a claim fills `claimed`, a
        // tag state `repository_id` and the columns after it, a delete neither.
        let mut sql = format!(
            "WITH claimed AS ({}) SELECT event_id AS claimed, NULL AS repository, NULL AS tag, NULL AS digest, \
             NULL AS occurred_at, NULL::bigint AS repository_id, NULL::text AS media_type, NULL::bigint AS size, \
             NULL::text AS pushed_by, NULL::timestamptz AS seen_at FROM claimed \
             UNION ALL SELECT deletes.*, NULL, NULL, NULL, NULL, NULL FROM ({}) AS deletes",
            claim.sql,
            write_batch::shift_placeholders(&read.sql, claim_values)
        );
        let mut values: Vec<sea_orm::Value> = [claim.values, read.values]
            .into_iter()
            .flatten()
            .flat_map(|v| v.0)
            .collect();
        let wanted: HashSet<(i64, &str)> = tag_keys.iter().copied().collect();
        if !tag_keys.is_empty() && tag_keys.len() <= 300 {
            let states = backend.build(&tag_states_query(tag_keys));
            sql.push_str(" UNION ALL ");
            sql.push_str(&write_batch::shift_placeholders(
                &states.sql,
                claim_values + read_values,
            ));
            values.extend(states.values.into_iter().flat_map(|v| v.0));
            out.states = Some(HashMap::new());
        }
        for row in db
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
        {
            if let Some(id) = row.try_get::<Option<String>>("", "claimed")? {
                out.fresh.insert(id);
            } else if let Some(repository_id) = row.try_get::<Option<i64>>("", "repository_id")? {
                let tag: String = row.try_get("", "tag")?;
                if let (true, Some(states)) = (wanted.contains(&(repository_id, tag.as_str())), out.states.as_mut()) {
                    let pushed_at = row.try_get("", "occurred_at")?;
                    let state = tags::PushedState {
                        digest: row.try_get("", "digest")?,
                        media_type: row.try_get("", "media_type")?,
                        size: row.try_get("", "size")?,
                        pushed_by: row.try_get("", "pushed_by")?,
                        pushed_at,
                        seen_at: row.try_get::<Option<_>>("", "seen_at")?.unwrap_or(pushed_at),
                    };
                    states.insert((repository_id, tag), state);
                }
            } else {
                out.deletes.push(stored_delete(&row)?);
            }
        }
        return Ok(out);
    }
    for read in &reads {
        for row in db.query_all(read).await? {
            out.deletes.push(stored_delete(&row)?);
        }
    }
    for claim in &claims {
        for row in db.query_all(claim).await? {
            out.fresh.insert(row.try_get::<String>("", "event_id")?);
        }
    }
    Ok(out)
}

/// The stored states of the tags `keys` (`(repository id, tag)`, at most a few hundred) in the
/// column layout of [`claim_and_read`]: `NULL, NULL, tag, digest, pushed_at, repository_id,
/// media_type, size, pushed_by, seen_at`. Repository ids × names select a superset; the caller
/// keeps the exact pairs.
fn tag_states_query(keys: &[(i64, &str)]) -> SelectStatement {
    use crate::backend::entity::tag::{Column as T, Entity as Tags};
    let repos: BTreeSet<i64> = keys.iter().map(|(r, _)| *r).collect();
    let names: BTreeSet<&str> = keys.iter().map(|(_, n)| *n).collect();
    Query::select()
        .exprs([Expr::cust("NULL"), Expr::cust("NULL")])
        .columns([
            T::Name,
            T::Digest,
            T::PushedAt,
            T::RepositoryId,
            T::MediaType,
            T::Size,
            T::PushedBy,
            T::SeenAt,
        ])
        .from(Tags)
        .and_where(T::RepositoryId.is_in(repos))
        .and_where(T::Name.is_in(names))
        .to_owned()
}

/// How a batch started: ready, with the ids that were new; or stopped, because these
/// repositories pushed to do not exist yet.
enum Started {
    Ready(Box<Batch>, HashSet<String>),
    Missing(Vec<(crate::domain::RepositoryName, chrono::DateTime<chrono::Utc>)>),
}

/// What one batch's events share while they are applied.
struct Batch {
    /// The repositories the batch's events name, locked at its start.
    repos: LockedRepositories,
    /// Per repository of a push in the batch, the deletes received for it that happened after
    /// the batch's oldest push: stored ones, then the batch's own as they are claimed.
    deletes: HashMap<String, LaterDeletes>,
    /// The enabled hooks of each namespace an event touched.
    hooks: HashMap<i64, Vec<webhook::Model>>,
    /// Audit entries, written together before the commit.
    audit: Vec<activity_row::ActiveModel>,
    /// Writes not read back before the next event or run: sent together (one round trip on
    /// PostgreSQL), flushed before anything that could read them.
    writes: WriteBatch,
    /// The states of the tags a batch of nothing but pushes names, read with its claim (their
    /// one run needs nothing written before it), and the repositories they cover.
    prefetched: Option<(TagStates, HashSet<i64>)>,
}

/// Tag states by `(repository id, tag)`.
type TagStates = HashMap<(i64, String), tags::PushedState>;

impl Batch {
    /// Locks the repositories the batch names, then reads the stored deletes its pushes must
    /// be checked against (after the locks, so a delete committed by whoever held one is seen;
    /// before the batch's own events are claimed, so these are the deletes received earlier),
    /// and claims the batch's event ids: returns the batch and the ids that were new.
    ///
    /// Every lock the batch takes is taken here, in one statement, in name order: two batches
    /// written at once then wait for each other instead of deadlocking. A repository pushed to
    /// that does not exist yet would be a lock taken later, out of that order; unless
    /// `create_inside`, the batch stops before anything else and says which are missing, to be
    /// created first and the batch started again.
    async fn start(
        db: &impl ConnectionTrait,
        envelopes: &[Envelope<'_>],
        sources: &[Option<i64>],
        create_inside: bool,
    ) -> Result<Started, AppError> {
        let names: BTreeSet<&str> = envelopes
            .iter()
            .flat_map(|e| e.events)
            .filter(|e| e.action != EventAction::Ignored)
            .map(|e| e.repository.as_str())
            .collect();
        let mut repos = LockedRepositories::lock(db, &names).await?;
        let pushed: Vec<_> = envelopes
            .iter()
            .flat_map(|e| e.events)
            .filter(|e| matches!(e.action, EventAction::PushManifest { .. }))
            .map(|e| (&e.repository, e.occurred_at))
            .collect();
        if !create_inside {
            let missing = repos.missing(&pushed);
            if !missing.is_empty() {
                return Ok(Started::Missing(missing));
            }
        }
        // The repositories pushed to are marked updated at their newest push (created first
        // when missing). A duplicate or stale push cannot move that time: only forward, and
        // not past what was applied.
        let mut writes = WriteBatch::default();
        for touch in repos.ensure(db, &pushed).await? {
            writes.add(db.get_database_backend(), &touch);
        }
        let hooks: HashMap<i64, Vec<webhook::Model>> =
            repos.namespaces_without_hooks().map(|ns| (ns, Vec::new())).collect();
        let pushes = envelopes
            .iter()
            .flat_map(|e| e.events)
            .filter(|e| matches!(e.action, EventAction::PushManifest { tag: Some(_), .. }));
        let mut after: Option<chrono::DateTime<chrono::Utc>> = None;
        let mut deletes: HashMap<String, LaterDeletes> = HashMap::new();
        for e in pushes {
            after = Some(after.map_or(e.occurred_at, |a| a.min(e.occurred_at)));
            deletes
                .entry(e.repository.to_string())
                .or_insert_with(|| LaterDeletes(Vec::new()));
        }
        let reads = match after {
            Some(after) => {
                let names: Vec<&str> = deletes.keys().map(String::as_str).collect();
                deletes_queries(&names, after)
            }
            None => Vec::new(),
        };
        // A batch of nothing but pushes is one run, which reads the states of its tags before
        // writing anything: they can be read with the claim. (Of the repositories locked; one
        // created meanwhile is read by the run itself.)
        let only_pushes = envelopes
            .iter()
            .flat_map(|e| e.events)
            .all(|e| matches!(e.action, EventAction::PushManifest { .. } | EventAction::Ignored));
        let mut tag_keys: Vec<(i64, &str)> = Vec::new();
        if only_pushes {
            for e in envelopes.iter().flat_map(|e| e.events) {
                if let (EventAction::PushManifest { tag: Some(tag), .. }, Some(repo)) =
                    (&e.action, repos.get(e.repository.as_str()))
                {
                    tag_keys.push((repo.id, tag.as_str()));
                }
            }
            tag_keys.sort_unstable();
            tag_keys.dedup();
        }
        let read = claim_and_read(db, claim_queries(envelopes, sources), reads, &tag_keys).await?;
        let prefetched = read
            .states
            .map(|states| (states, tag_keys.iter().map(|(repo, _)| *repo).collect()));
        let (fresh, stored) = (read.fresh, read.deletes);
        for (repository, tag, digest, at) in stored {
            if let Some(later) = deletes.get_mut(&repository) {
                later.0.push((tag, digest, at));
            }
        }
        let batch = Batch {
            repos,
            deletes,
            hooks,
            audit: Vec::new(),
            writes,
            prefetched,
        };
        Ok(Started::Ready(Box::new(batch), fresh))
    }

    /// A delete claimed in this batch counts against the batch's later pushes.
    fn claimed(&mut self, e: &RegistryEvent) {
        let (tag, digest) = match &e.action {
            EventAction::DeleteManifest { digest } => (None, Some(digest.to_string())),
            EventAction::DeleteTag { tag } => (Some(tag.to_string()), None),
            _ => return,
        };
        if let Some(later) = self.deletes.get_mut(e.repository.as_str()) {
            later.0.push((tag, digest, e.occurred_at));
        }
    }

    /// Whether a push of `tag` → `digest` at `at` in `repository` was overtaken by a delete.
    fn deleted_after(&self, repository: &str, tag: &str, digest: &str, at: chrono::DateTime<chrono::Utc>) -> bool {
        self.deletes.get(repository).is_some_and(|d| d.cover(tag, digest, at))
    }

    async fn hooks(&mut self, db: &impl ConnectionTrait, namespace_id: i64) -> Result<&[webhook::Model], AppError> {
        Ok(match self.hooks.entry(namespace_id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => slot.insert(queue::enabled_hooks(db, namespace_id).await?),
        })
    }
}

/// The deletes received for one repository that happened after some moment: a push or a sync
/// observation from before one of them must not bring its tag back.
pub struct LaterDeletes(Vec<(Option<String>, Option<String>, chrono::DateTime<chrono::Utc>)>);

impl LaterDeletes {
    /// Whether `tag` or the manifest `digest` was deleted after `at`.
    pub fn cover(&self, tag: &str, digest: &str, at: chrono::DateTime<chrono::Utc>) -> bool {
        self.0
            .iter()
            .any(|(t, d, when)| *when > at && (t.as_deref() == Some(tag) || d.as_deref() == Some(digest)))
    }
}

/// The deletes received for `repository` that happened after `after` (one query, however many
/// tags are then checked against them).
pub async fn deletes_after(
    db: &impl ConnectionTrait,
    repository: &str,
    after: chrono::DateTime<chrono::Utc>,
) -> Result<LaterDeletes, AppError> {
    Ok(LaterDeletes(
        registry_event::Entity::find()
            .filter(registry_event::Column::Repository.eq(repository))
            .filter(Expr::cust(DELETES_ONLY))
            .filter(registry_event::Column::OccurredAt.gt(after))
            .all(db)
            .await?
            .into_iter()
            .map(|e| (e.tag, e.digest, e.occurred_at))
            .collect(),
    ))
}

/// What applying one event did beyond the database rows.
#[derive(Default)]
struct Applied {
    webhooks: u32,
}

/// Applied, with no webhook to notify.
fn applied() -> Result<Option<Applied>, AppError> {
    Ok(Some(Applied::default()))
}

/// Enqueues the webhook deliveries an applied push or delete causes, in the event's transaction.
async fn notify_hooks(
    db: &impl ConnectionTrait,
    settings: &IngestSettings,
    batch: &mut Batch,
    e: &RegistryEvent,
    namespace_id: Option<i64>,
    what: HookEvent<'_>,
) -> Result<Option<Applied>, AppError> {
    let Some(namespace_id) = namespace_id else {
        return applied();
    };
    let hooks = batch.hooks(db, namespace_id).await?;
    if hooks.is_empty() {
        return applied();
    }
    let namespace = e.repository.namespace();
    let (event, tag, digest, tags) = match what {
        HookEvent::Push { tag, digest } => (WebhookEvent::Push, Some(tag), Some(digest), &[][..]),
        HookEvent::Delete { digest, tags } => (WebhookEvent::Delete, None, Some(digest), tags),
    };
    let payload = Payload {
        event,
        event_id: &e.id,
        occurred_at: payload::rfc3339(e.occurred_at),
        namespace: namespace.as_ref().map_or("", |n| n.as_str()),
        repository: e.repository.as_str(),
        tag,
        digest,
        tags,
        actor: e.actor.as_deref(),
        registry_host: settings.registry_host.as_deref(),
    };
    let n = queue::enqueue_for(db, hooks, &e.id, &payload).await?;
    Ok(Some(Applied {
        webhooks: u32::try_from(n).unwrap_or(u32::MAX),
    }))
}

enum HookEvent<'a> {
    Push { tag: &'a str, digest: &'a str },
    Delete { digest: &'a str, tags: &'a [String] },
}

fn is_push(e: &RegistryEvent) -> bool {
    matches!(e.action, EventAction::PushManifest { .. })
}

fn is_pull(e: &RegistryEvent) -> bool {
    matches!(e.action, EventAction::PullManifest { .. })
}

/// How many pulls of one thing a run holds, and the newest one's time.
struct PullTally {
    pulls: i64,
    newest: chrono::DateTime<chrono::Utc>,
}

impl PullTally {
    fn count<K: Ord>(
        tallies: &mut std::collections::BTreeMap<K, PullTally>,
        key: K,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        let tally = tallies.entry(key).or_insert(PullTally { pulls: 0, newest: at });
        tally.pulls += 1;
        tally.newest = tally.newest.max(at);
    }
}

/// Applies a run of manifest pulls (`(envelope, event)`): counted in memory per repository and
/// per tag (or pulled digest), then written as one update for each, queued with the batch's
/// other writes. A lone pull costs no statement of its own before the commit; a thousand pulls
/// of one image cost two.
async fn apply_pulls(
    db: &impl ConnectionTrait,
    settings: &IngestSettings,
    batch: &mut Batch,
    pulls: &[(usize, &RegistryEvent)],
    reports: &mut [IngestReport],
) -> Result<(), AppError> {
    use std::collections::BTreeMap;
    // What is queued may change the same repository rows (the pushes' touches), and one
    // PostgreSQL statement cannot change a row twice: those go first. (Empty but for a run of
    // pulls that starts the batch; before any other run the batch loop has flushed already.)
    batch.writes.flush(db).await?;
    let mut by_repository: BTreeMap<i64, PullTally> = BTreeMap::new();
    let mut by_tag: BTreeMap<(i64, tags::Pulled<'_>), PullTally> = BTreeMap::new();
    for &(i, e) in pulls {
        reports[i].applied += 1;
        let EventAction::PullManifest { tag, digest } = &e.action else {
            continue;
        };
        // wharf's own reads (sync, image details) are not user pulls.
        if settings.is_own(e) {
            continue;
        }
        let Some(repo) = batch.repos.find(db, e.repository.as_str()).await? else {
            // A pull of something wharf has not seen pushed: sync will add it.
            continue;
        };
        PullTally::count(&mut by_repository, repo.id, e.occurred_at);
        let pulled = match (tag, digest) {
            (Some(t), _) => tags::Pulled::Tag(t.as_str()),
            (None, Some(d)) => tags::Pulled::Digest(d.as_str()),
            (None, None) => continue,
        };
        PullTally::count(&mut by_tag, (repo.id, pulled), e.occurred_at);
    }
    let backend = db.get_database_backend();
    for (id, tally) in by_repository {
        batch
            .writes
            .add(backend, &repositories::count_pulls_query(id, tally.pulls, tally.newest));
    }
    // A pull by digest counts on the tags on that digest, which a pull by tag may count too:
    // the pulls by digest go after the others have been sent (one PostgreSQL statement must
    // not change a row twice).
    let (by_name, by_digest): (Vec<_>, Vec<_>) = by_tag
        .into_iter()
        .partition(|((_, pulled), _)| matches!(pulled, tags::Pulled::Tag(_)));
    fn queue(writes: &mut WriteBatch, backend: DbBackend, counts: Vec<((i64, tags::Pulled<'_>), PullTally)>) {
        for ((id, pulled), tally) in counts {
            writes.add(backend, &tags::count_pulls_query(id, pulled, tally.pulls, tally.newest));
        }
    }
    let both = !by_name.is_empty() && !by_digest.is_empty();
    queue(&mut batch.writes, backend, by_name);
    if both {
        batch.writes.flush(db).await?;
    }
    queue(&mut batch.writes, backend, by_digest);
    Ok(())
}

/// Applies a run of manifest pushes (`(envelope, event)`, in order): their repositories are
/// ensured and locked together, their tags read together, decided in memory one push after the
/// other (so two pushes of one tag in the run behave as if applied one by one), then written
/// together.
async fn apply_pushes(
    db: &impl ConnectionTrait,
    settings: &IngestSettings,
    batch: &mut Batch,
    pushes: &[(usize, &RegistryEvent)],
    reports: &mut [IngestReport],
) -> Result<(), AppError> {
    // Every repository pushed to was made sure of (created, or locked and touched) when the
    // batch started. Copied apart from `batch`, which the loop below also changes.
    let repos: HashMap<&str, RepositoryRef> = pushes
        .iter()
        .filter_map(|(_, e)| Some((e.repository.as_str(), batch.repos.get(e.repository.as_str())?)))
        .collect();
    let mut keys: Vec<(i64, &str)> = Vec::new();
    for (_, e) in pushes {
        if let (EventAction::PushManifest { tag: Some(tag), .. }, Some(repo)) =
            (&e.action, repos.get(e.repository.as_str()))
        {
            keys.push((repo.id, tag.as_str()));
        }
    }
    // Every manifest pushed, tagged or not (platform images, signatures by digest), is read
    // later for the image pages.
    let mut held: Vec<(i64, &str)> = Vec::new();
    for (_, e) in pushes {
        if let (EventAction::PushManifest { digest, tag, .. }, Some(repo)) =
            (&e.action, repos.get(e.repository.as_str()))
        {
            let tag = tag.as_ref().map_or("", |t| t.as_str());
            if !batch.deleted_after(e.repository.as_str(), tag, digest.as_str(), e.occurred_at) {
                held.push((repo.id, digest.as_str()));
            }
        }
    }
    if let Some(at) = pushes.iter().map(|(_, e)| e.occurred_at).max() {
        for insert in images::note_many_queries(&held, at) {
            batch.writes.add(db.get_database_backend(), &insert);
        }
    }
    let mut states = match batch.prefetched.take() {
        Some((mut states, covered)) => {
            let rest: Vec<(i64, &str)> = keys
                .iter()
                .filter(|(repo, _)| !covered.contains(repo))
                .copied()
                .collect();
            if !rest.is_empty() {
                states.extend(tags::pushed_states(db, &rest).await?);
            }
            states
        }
        None => tags::pushed_states(db, &keys).await?,
    };
    // The tags this run changes (sorted: rows written in one order by every run).
    let mut changed: BTreeSet<(i64, String)> = BTreeSet::new();
    for &(i, e) in pushes {
        let EventAction::PushManifest {
            tag,
            digest,
            media_type,
            size,
        } = &e.action
        else {
            continue;
        };
        let repo = repos
            .get(e.repository.as_str())
            .ok_or_else(|| AppError::internal("repository missing after ensure"))?;
        let report = &mut reports[i];
        let Some(tag) = tag else {
            // Pushed by digest only (a platform image of a multi-arch push): no tag to record.
            report.applied += 1;
            continue;
        };
        if batch.deleted_after(e.repository.as_str(), tag.as_str(), digest.as_str(), e.occurred_at) {
            report.stale += 1;
            continue;
        }
        let push = TagPush {
            repository_id: repo.id,
            tag: tag.as_str(),
            digest: digest.as_str(),
            media_type,
            size: *size,
            pushed_by: e.actor.as_deref(),
            at: e.occurred_at,
        };
        let key = (repo.id, tag.to_string());
        let (_, Some(state)) = tags::decide_push(states.get(&key), &push) else {
            report.stale += 1;
            continue;
        };
        changed.insert(key.clone());
        states.insert(key, state);
        let target = format!("{}:{}", e.repository, tag);
        batch.audit.push(activity::row(NewActivity {
            actor_name: e.actor.as_deref().unwrap_or(""),
            kind: "image.pushed",
            namespace_id: repo.namespace_id,
            target: &target,
            details: digest.as_str(),
            client_addr: e.client_addr.as_deref(),
            ..Default::default()
        }));
        let hooked = notify_hooks(
            db,
            settings,
            batch,
            e,
            repo.namespace_id,
            HookEvent::Push {
                tag: tag.as_str(),
                digest: digest.as_str(),
            },
        )
        .await?;
        report.applied += 1;
        report.webhooks += hooked.map_or(0, |a| a.webhooks);
    }
    let writes: Vec<((i64, String), tags::PushedState)> = changed
        .into_iter()
        .filter_map(|key| states.remove(&key).map(|state| (key, state)))
        .collect();
    for insert in tags::write_pushed_queries(&writes) {
        batch.writes.add(db.get_database_backend(), &insert);
    }
    Ok(())
}

/// Applies one new event other than a push; `None` when it is older than what the database
/// holds.
async fn apply(
    db: &impl ConnectionTrait,
    settings: &IngestSettings,
    batch: &mut Batch,
    e: &RegistryEvent,
) -> Result<Option<Applied>, AppError> {
    let actor = e.actor.as_deref().unwrap_or("");
    match &e.action {
        // Pushes and pulls are applied in runs, by `apply_pushes` and `apply_pulls`.
        EventAction::PushManifest { .. } | EventAction::PullManifest { .. } => {
            Err(AppError::internal("a push or pull reached the single-event path"))
        }
        EventAction::DeleteManifest { digest } => {
            let Some(repo) = batch.repos.find(db, e.repository.as_str()).await? else {
                return applied();
            };
            let removed = tags::remove_by_digest(db, repo.id, digest.as_str(), e.occurred_at).await?;
            images::forget(db, repo.id, &[digest.to_string()]).await?;
            if removed.is_empty() {
                // A blob delete has the same shape, or the tags went already: nothing to audit.
                return applied();
            }
            repositories::touch(db, repo.id, e.occurred_at).await?;
            // wharf's own delete (console, API, CLI) is audited under the person who asked,
            // by `sync::delete`; its notification must not add a second entry.
            let details = format!("{digest} (tags {})", removed.join(", "));
            if !settings.is_own(e) {
                batch.audit.push(activity::row(NewActivity {
                    actor_name: actor,
                    kind: "image.deleted",
                    namespace_id: repo.namespace_id,
                    target: e.repository.as_str(),
                    details: &details,
                    client_addr: e.client_addr.as_deref(),
                    ..Default::default()
                }));
            }
            notify_hooks(
                db,
                settings,
                batch,
                e,
                repo.namespace_id,
                HookEvent::Delete {
                    digest: digest.as_str(),
                    tags: &removed,
                },
            )
            .await
        }
        EventAction::DeleteTag { tag } => {
            let Some(repo) = batch.repos.find(db, e.repository.as_str()).await? else {
                return applied();
            };
            // The digest delete usually removed it already; this only settles a lone tag delete.
            tags::remove_named(db, repo.id, tag.as_str(), e.occurred_at).await?;
            applied()
        }
        EventAction::Ignored => applied(),
    }
}

/// Forgets received event ids older than `days` (duplicates arrive within seconds or minutes).
pub async fn prune(db: &impl ConnectionTrait, days: i64) -> Result<u64, AppError> {
    let cutoff = chrono::Utc::now() - chrono::Duration::days(days);
    Ok(registry_event::Entity::delete_many()
        .filter(registry_event::Column::ReceivedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::events::envelope::parse_envelope;
    use crate::backend::store::test_db::memory_db;

    fn digest(n: u32) -> String {
        format!("sha256:{n:064x}")
    }

    fn event(id: &str, action: &str, second: u32, tag: Option<&str>, digest_no: u32) -> String {
        let tag = tag.map_or(String::new(), |t| format!(r#""tag":"{t}","#));
        format!(
            r#"{{"id":"{id}","timestamp":"2026-11-28T10:00:{second:02}Z","action":"{action}",
            "target":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":500,
            "digest":"{}",{tag}"repository":"alice/app"}},
            "request":{{"method":"{}","addr":"127.0.0.1:1"}},"actor":{{"name":"alice"}}}}"#,
            digest(digest_no),
            if action == "pull" { "GET" } else { "PUT" }
        )
    }

    fn envelope(events: &[String]) -> Vec<RegistryEvent> {
        parse_envelope(format!(r#"{{"events":[{}]}}"#, events.join(",")).as_bytes()).unwrap()
    }

    async fn tags_now(db: &DatabaseConnection) -> Vec<(String, String, i64)> {
        let repo = repositories::find_by_name(db, "alice/app").await.unwrap().unwrap();
        tags::list(db, repo.id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.name, t.digest, t.pull_count))
            .collect()
    }

    /// The lookup of a repository's later deletes is served by the partial index over deletes
    /// (which pushes do not write); with the action as a bound value it would scan.
    #[tokio::test]
    async fn later_deletes_are_read_through_the_partial_index() {
        let db = memory_db().await;
        let after = chrono::Utc::now();
        for read in deletes_queries(&["alice/app", "bob/web"], after) {
            let built = DbBackend::Sqlite.build(&read);
            let plan = db
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    format!("EXPLAIN QUERY PLAN {}", built.sql),
                    built.values.map(|v| v.0).unwrap_or_default(),
                ))
                .await
                .unwrap()
                .iter()
                .map(|row| row.try_get::<String>("", "detail").unwrap())
                .collect::<Vec<_>>()
                .join("; ");
            assert!(plan.contains("ix_registry_events_deletes"), "plan: {plan}");
        }
    }

    /// A run of pulls (by tag, by digest, out of order, in two envelopes) counts as if each
    /// pull were applied alone: the same pull counts and newest pull times on the repository
    /// and its tags.
    #[tokio::test]
    async fn runs_of_pulls_count_as_if_one_by_one() {
        pulls_count_as_if_one_by_one(memory_db().await, memory_db().await).await;
    }

    /// The same on PostgreSQL, where the writes of a run share one statement, which must not
    /// change a row twice (a pull by tag and one by digest both count on the tag).
    #[tokio::test]
    async fn runs_of_pulls_count_as_if_one_by_one_on_postgres() {
        let (together, _drop_together) = crate::backend::store::test_db::postgres_db().await;
        let (alone, _drop_alone) = crate::backend::store::test_db::postgres_db().await;
        pulls_count_as_if_one_by_one(together, alone).await;
    }

    async fn pulls_count_as_if_one_by_one(together: DatabaseConnection, alone: DatabaseConnection) {
        let pushes = envelope(&[
            event("p1", "push", 1, Some("t1"), 1),
            event("p2", "push", 1, Some("t2"), 1),
            event("p3", "push", 1, Some("t3"), 2),
        ]);
        let pulls = [
            envelope(&[
                event("a", "pull", 9, Some("t1"), 1),
                event("b", "pull", 7, Some("t1"), 1),
                // By digest: t1 and t2 are on digest 1.
                event("c", "pull", 8, None, 1),
                event("d", "pull", 5, Some("t3"), 2),
            ]),
            envelope(&[
                event("e", "pull", 6, Some("t2"), 1),
                event("a", "pull", 9, Some("t1"), 1),
            ]),
        ];
        let settings = IngestSettings::default();
        let sources = ReplicaSources::default();
        let state = |db: DatabaseConnection| async move {
            let repo = repositories::find_by_name(&db, "alice/app").await.unwrap().unwrap();
            let tags: Vec<_> = tags::list(&db, repo.id)
                .await
                .unwrap()
                .into_iter()
                .map(|t| (t.name, t.pull_count, t.last_pulled_at))
                .collect();
            (repo.pull_count, repo.last_pulled_at, tags)
        };
        ingest(&together, &settings, &sources, None, &pushes).await.unwrap();
        let envelopes = pulls.iter().map(|events| Envelope {
            replica_name: None,
            events,
        });
        let reports = ingest_batch(&together, &settings, &sources, &envelopes.collect::<Vec<_>>())
            .await
            .unwrap();
        assert_eq!(
            (reports[0].applied, reports[1].applied, reports[1].duplicates),
            (4, 1, 1)
        );
        ingest(&alone, &settings, &sources, None, &pushes).await.unwrap();
        for e in pulls.iter().flatten() {
            ingest(&alone, &settings, &sources, None, std::slice::from_ref(e))
                .await
                .unwrap();
        }
        let (together, alone) = (state(together).await, state(alone).await);
        assert_eq!(together, alone);
        let at = |s: u32| Some(format!("2026-11-28T10:00:{s:02}Z").parse().unwrap());
        assert_eq!(
            together,
            (
                5,
                at(9),
                vec![
                    ("t1".to_owned(), 3, at(9)),
                    ("t2".to_owned(), 2, at(8)),
                    ("t3".to_owned(), 1, at(5))
                ]
            ),
            "five pulls; t1 by tag twice and by digest once, t2 by digest and by tag"
        );
    }

    /// A batch mixing runs of pushes with a pull and a delete ends as if applied one by one.
    #[tokio::test]
    async fn runs_of_pushes_apply_as_if_one_by_one() {
        let db = memory_db().await;
        let settings = IngestSettings::default();
        let first = envelope(&[
            event("a", "push", 2, Some("t1"), 1),
            // Older than the push above in the same run: stale, t1 stays on digest 1.
            event("b", "push", 1, Some("t1"), 2),
            event("c", "push", 3, Some("t2"), 3),
            event("d", "pull", 4, Some("t1"), 1),
        ]);
        let second = envelope(&[
            // Deletes t2's manifest, then a push of t2 from before that delete (stale), and a
            // push of t3 and a move of t1 after it.
            event("e", "delete", 5, None, 3),
            event("f", "push", 4, Some("t2"), 3),
            event("g", "push", 6, Some("t3"), 4),
            event("h", "push", 7, Some("t1"), 5),
            event("a", "push", 2, Some("t1"), 1),
        ]);
        let reports = ingest_batch(
            &db,
            &settings,
            &ReplicaSources::default(),
            &[
                Envelope {
                    replica_name: None,
                    events: &first,
                },
                Envelope {
                    replica_name: None,
                    events: &second,
                },
            ],
        )
        .await
        .unwrap();
        assert_eq!((reports[0].applied, reports[0].stale, reports[0].duplicates), (3, 1, 0));
        assert_eq!((reports[1].applied, reports[1].stale, reports[1].duplicates), (3, 1, 1));
        assert_eq!(
            tags_now(&db).await,
            [("t1".to_owned(), digest(5), 1), ("t3".to_owned(), digest(4), 0)],
            "t1 moved and kept its pull, t2 deleted and not revived, t3 added"
        );
        let audit = activity_row::Entity::find().all(&db).await.unwrap();
        let kinds = |kind: &str| audit.iter().filter(|a| a.kind == kind).count();
        assert_eq!(kinds("image.pushed"), 4, "one entry per applied push: a, c, g, h");
        assert_eq!(kinds("image.deleted"), 1);
    }
}
