//! Tags: which digest each name points at, who pushed it, how often it is pulled.
//!
//! Every write carries the registry time it reflects (event timestamp, or when sync looked),
//! kept in `seen_at`, and never overwrites a newer one: out-of-order events and a sync racing a
//! push both end in the state the registry really has. (`pushed_at` is the first push, shown to
//! users; rows written before `seen_at` existed fall back to it.)

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::backend::entity::tag;
use crate::domain::AppError;

/// The time a tag's current state was last confirmed.
pub fn seen(t: &tag::Model) -> DateTime<Utc> {
    t.seen_at.unwrap_or(t.pushed_at)
}

/// Tags whose state was last confirmed at or before `at` (`inclusive`) or strictly before it.
fn seen_before(at: DateTime<Utc>, inclusive: bool) -> Condition {
    let (seen, pushed) = if inclusive {
        (tag::Column::SeenAt.lte(at), tag::Column::PushedAt.lte(at))
    } else {
        (tag::Column::SeenAt.lt(at), tag::Column::PushedAt.lt(at))
    };
    Condition::any()
        .add(seen)
        .add(Condition::all().add(tag::Column::SeenAt.is_null()).add(pushed))
}

/// What a manifest push says about one tag.
#[derive(Debug, Clone)]
pub struct TagPush<'a> {
    pub repository_id: i64,
    pub tag: &'a str,
    pub digest: &'a str,
    pub media_type: &'a str,
    pub size: i64,
    pub pushed_by: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// The effect of [`record_push`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagWrite {
    Added,
    /// Now points at another digest.
    Moved,
    /// Same digest; details filled in.
    Refreshed,
    /// The database already holds something newer.
    Stale,
}

pub async fn find(db: &impl ConnectionTrait, repository_id: i64, name: &str) -> Result<Option<tag::Model>, AppError> {
    Ok(tag::Entity::find()
        .filter(tag::Column::RepositoryId.eq(repository_id))
        .filter(tag::Column::Name.eq(name))
        .one(db)
        .await?)
}

pub async fn list(db: &impl ConnectionTrait, repository_id: i64) -> Result<Vec<tag::Model>, AppError> {
    Ok(tag::Entity::find()
        .filter(tag::Column::RepositoryId.eq(repository_id))
        .order_by_asc(tag::Column::Name)
        .all(db)
        .await?)
}

/// The tags of a repository whose names start with `prefix` (cosign's `sha256-<hex>…`).
pub async fn with_prefix(
    db: &impl ConnectionTrait,
    repository_id: i64,
    prefix: &str,
) -> Result<Vec<tag::Model>, AppError> {
    let pattern = sea_orm::sea_query::LikeExpr::new(format!("{}%", prefix.replace(['%', '_', '\\'], ""))).escape('\\');
    Ok(tag::Entity::find()
        .filter(tag::Column::RepositoryId.eq(repository_id))
        .filter(tag::Column::Name.like(pattern))
        .all(db)
        .await?)
}

/// The tags of a repository on `digest`, by name.
pub async fn on_digest(
    db: &impl ConnectionTrait,
    repository_id: i64,
    digest: &str,
) -> Result<Vec<tag::Model>, AppError> {
    Ok(tag::Entity::find()
        .filter(tag::Column::RepositoryId.eq(repository_id))
        .filter(tag::Column::Digest.eq(digest))
        .order_by_asc(tag::Column::Name)
        .all(db)
        .await?)
}

/// The tags of a repository among `names`.
pub async fn named(
    db: &impl ConnectionTrait,
    repository_id: i64,
    names: &[String],
) -> Result<Vec<tag::Model>, AppError> {
    let mut out = Vec::new();
    for chunk in names.chunks(500) {
        out.extend(
            tag::Entity::find()
                .filter(tag::Column::RepositoryId.eq(repository_id))
                .filter(tag::Column::Name.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The row a tag in state `s` is inserted as (never pulled yet).
fn new_row(repository_id: i64, name: &str, s: &PushedState) -> tag::ActiveModel {
    tag::ActiveModel {
        repository_id: Set(repository_id),
        name: Set(name.to_owned()),
        digest: Set(s.digest.clone()),
        media_type: Set(s.media_type.clone()),
        size: Set(s.size),
        pushed_by: Set(s.pushed_by.clone()),
        pushed_at: Set(s.pushed_at),
        pull_count: Set(0),
        last_pulled_at: Set(None),
        seen_at: Set(Some(s.seen_at)),
        ..Default::default()
    }
}

/// Inserts a tag that does not exist yet; false (nothing written) when it does.
pub async fn insert_new(db: &impl ConnectionTrait, p: &TagPush<'_>) -> Result<bool, AppError> {
    Ok(insert_chunk(db, std::slice::from_ref(p)).await? > 0)
}

/// Inserts tags that do not exist yet, in one statement; returns how many were inserted
/// (existing ones are left alone).
pub async fn insert_many_new(db: &impl ConnectionTrait, pushes: &[TagPush<'_>]) -> Result<u64, AppError> {
    let mut inserted = 0;
    // Bounded statements: both databases limit the number of bound parameters.
    for chunk in pushes.chunks(500) {
        inserted += insert_chunk(db, chunk).await?;
    }
    Ok(inserted)
}

async fn insert_chunk(db: &impl ConnectionTrait, pushes: &[TagPush<'_>]) -> Result<u64, AppError> {
    if pushes.is_empty() {
        return Ok(0);
    }
    super::tag_names::add(db, pushes.iter().map(|p| p.tag)).await?;
    let rows = pushes
        .iter()
        .map(|p| new_row(p.repository_id, p.tag, &PushedState::pushed(p)));
    let res = tag::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([tag::Column::RepositoryId, tag::Column::Name])
        .exec_without_returning(db)
        .await?;
    Ok(match res {
        sea_orm::TryInsertResult::Inserted(n) => n,
        _ => 0,
    })
}

/// The columns a push writes on a tag (pull counts are not a push's to touch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedState {
    pub digest: String,
    pub media_type: String,
    pub size: i64,
    pub pushed_by: Option<String>,
    pub pushed_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
}

impl PushedState {
    /// All of it from `p`: a first push, or a move to another digest.
    fn pushed(p: &TagPush<'_>) -> Self {
        PushedState {
            digest: p.digest.to_owned(),
            media_type: p.media_type.to_owned(),
            size: p.size,
            pushed_by: p.pushed_by.map(str::to_owned),
            pushed_at: p.at,
            seen_at: p.at,
        }
    }
}

impl From<&tag::Model> for PushedState {
    fn from(t: &tag::Model) -> Self {
        PushedState {
            digest: t.digest.clone(),
            media_type: t.media_type.clone(),
            size: t.size,
            pushed_by: t.pushed_by.clone(),
            pushed_at: t.pushed_at,
            seen_at: seen(t),
        }
    }
}

/// What a push makes of a tag whose current state is `existing` (`None`: no such tag yet):
/// the effect and the state to write, or `Stale` and nothing to write. The one rule for both
/// the notification path and sync.
pub fn decide_push(existing: Option<&PushedState>, p: &TagPush<'_>) -> (TagWrite, Option<PushedState>) {
    match existing {
        None => (TagWrite::Added, Some(PushedState::pushed(p))),
        // The same manifest confirmed again (an event after sync found it, or a re-push):
        // the confirmation time moves forward, and what sync could not know is filled in.
        Some(old) if old.digest == p.digest => {
            let mut now = old.clone();
            if !p.media_type.is_empty() {
                now.media_type = p.media_type.to_owned();
            }
            if p.size > 0 {
                now.size = p.size;
            }
            if let Some(by) = p.pushed_by {
                now.pushed_by = Some(by.to_owned());
            }
            now.seen_at = std::cmp::max(old.seen_at, p.at);
            (TagWrite::Refreshed, Some(now))
        }
        Some(old) if old.seen_at > p.at => (TagWrite::Stale, None),
        Some(_) => (TagWrite::Moved, Some(PushedState::pushed(p))),
    }
}

/// Points a tag at a digest unless a newer write is already there.
pub async fn record_push(db: &impl ConnectionTrait, p: TagPush<'_>) -> Result<TagWrite, AppError> {
    let existing = find(db, p.repository_id, p.tag).await?;
    let (write, state) = decide_push(existing.as_ref().map(PushedState::from).as_ref(), &p);
    match (existing, state) {
        (_, None) => Ok(write),
        (None, Some(_)) => {
            if insert_new(db, &p).await? {
                Ok(write)
            } else {
                // Inserted concurrently by another request: settle it like an existing row.
                Box::pin(record_push(db, p)).await
            }
        }
        (Some(row), Some(state)) => {
            set_pushed(tag::Entity::update_many(), &state)
                .filter(tag::Column::Id.eq(row.id))
                .exec(db)
                .await?;
            Ok(write)
        }
    }
}

fn set_pushed(q: sea_orm::UpdateMany<tag::Entity>, s: &PushedState) -> sea_orm::UpdateMany<tag::Entity> {
    q.col_expr(tag::Column::Digest, Expr::value(s.digest.clone()))
        .col_expr(tag::Column::MediaType, Expr::value(s.media_type.clone()))
        .col_expr(tag::Column::Size, Expr::value(s.size))
        .col_expr(tag::Column::PushedBy, Expr::value(s.pushed_by.clone()))
        .col_expr(tag::Column::PushedAt, Expr::value(s.pushed_at))
        .col_expr(tag::Column::SeenAt, Expr::value(Some(s.seen_at)))
}

/// The current state of the named tags (`(repository id, tag)`), in one query per few hundred.
pub async fn pushed_states(
    db: &impl ConnectionTrait,
    keys: &[(i64, &str)],
) -> Result<HashMap<(i64, String), PushedState>, AppError> {
    let mut found = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(300) {
        // Repository ids × names selects a superset; the exact pairs are kept below.
        let repos: BTreeSet<i64> = chunk.iter().map(|(r, _)| *r).collect();
        let names: BTreeSet<&str> = chunk.iter().map(|(_, n)| *n).collect();
        let wanted: HashSet<(i64, &str)> = chunk.iter().copied().collect();
        let rows = tag::Entity::find()
            .filter(tag::Column::RepositoryId.is_in(repos))
            .filter(tag::Column::Name.is_in(names))
            .all(db)
            .await?;
        for t in rows {
            if wanted.contains(&(t.repository_id, t.name.as_str())) {
                let state = PushedState::from(&t);
                found.insert((t.repository_id, t.name), state);
            }
        }
    }
    Ok(found)
}

/// Writes decided push states (`(repository id, tag)` → state): new tags are inserted, the
/// others get the push columns, in one statement per few hundred tags. The caller holds the
/// repositories' locks, so the states it decided are still current.
pub async fn write_pushed(db: &impl ConnectionTrait, states: &[((i64, String), PushedState)]) -> Result<(), AppError> {
    for insert in write_pushed_queries(states) {
        db.execute(&insert).await?;
    }
    Ok(())
}

/// The statements of [`write_pushed`], for a caller that sends them with others
/// (`write_batch`).
pub fn write_pushed_queries(states: &[((i64, String), PushedState)]) -> Vec<sea_orm::sea_query::InsertStatement> {
    use sea_orm::sea_query::OnConflict;
    use sea_orm::QueryTrait;
    // New names first (sorted, see `tag_names::remember`), then the tags.
    let mut queries = super::tag_names::remember(states.iter().map(|((_, name), _)| name.as_str()));
    // Ten values a row: well inside both databases' limits on bound parameters.
    queries.extend(states.chunks(300).map(|chunk| {
        let rows = chunk
            .iter()
            .map(|((repository_id, name), s)| new_row(*repository_id, name, s));
        tag::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([tag::Column::RepositoryId, tag::Column::Name])
                    .update_columns([
                        tag::Column::Digest,
                        tag::Column::MediaType,
                        tag::Column::Size,
                        tag::Column::PushedBy,
                        tag::Column::PushedAt,
                        tag::Column::SeenAt,
                    ])
                    .to_owned(),
            )
            .into_query()
    }));
    queries
}

/// Removes the tags of a repository pointing at `digest`, unless confirmed after `before`.
/// Returns the removed tag names.
pub async fn remove_by_digest(
    db: &impl ConnectionTrait,
    repository_id: i64,
    digest: &str,
    before: DateTime<Utc>,
) -> Result<Vec<String>, AppError> {
    let doomed = tag::Entity::find()
        .filter(tag::Column::RepositoryId.eq(repository_id))
        .filter(tag::Column::Digest.eq(digest))
        .filter(seen_before(before, true))
        .order_by_asc(tag::Column::Name)
        .all(db)
        .await?;
    let ids: Vec<i64> = doomed.iter().map(|t| t.id).collect();
    for chunk in ids.chunks(500) {
        tag::Entity::delete_many()
            .filter(tag::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(doomed.into_iter().map(|t| t.name).collect())
}

/// Removes one tag unless it was confirmed after `before`. Returns whether it was removed.
pub async fn remove_named(
    db: &impl ConnectionTrait,
    repository_id: i64,
    name: &str,
    before: DateTime<Utc>,
) -> Result<bool, AppError> {
    let res = tag::Entity::delete_many()
        .filter(tag::Column::RepositoryId.eq(repository_id))
        .filter(tag::Column::Name.eq(name))
        .filter(seen_before(before, true))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Removes the tags with these ids that were not confirmed again since `before`.
pub async fn remove_ids_pushed_before(
    db: &impl ConnectionTrait,
    ids: &[i64],
    before: DateTime<Utc>,
) -> Result<u64, AppError> {
    let mut removed = 0;
    for chunk in ids.chunks(500) {
        removed += tag::Entity::delete_many()
            .filter(tag::Column::Id.is_in(chunk.to_vec()))
            .filter(seen_before(before, false))
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(removed)
}

pub async fn remove_all_in(db: &impl ConnectionTrait, repository_id: i64) -> Result<(), AppError> {
    tag::Entity::delete_many()
        .filter(tag::Column::RepositoryId.eq(repository_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Counts one manifest pull on the tags it names: by tag, or every tag on a pulled digest.
/// (Ingest counts runs of pulls with [`count_pulls_query`]; this is for tests.)
#[cfg(test)]
pub async fn count_pull(
    db: &impl ConnectionTrait,
    repository_id: i64,
    tag_name: Option<&str>,
    digest: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let pulled = match (tag_name, digest) {
        (Some(t), _) => Pulled::Tag(t),
        (None, Some(d)) => Pulled::Digest(d),
        (None, None) => return Ok(()),
    };
    db.execute(&count_pulls_query(repository_id, pulled, 1, at)).await?;
    Ok(())
}

/// What a manifest pull named: a tag, or (pulled by digest) the tags on that digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pulled<'a> {
    Tag(&'a str),
    Digest(&'a str),
}

/// The statement counting `pulls` pulls of `pulled`, the newest at `at`.
pub fn count_pulls_query(
    repository_id: i64,
    pulled: Pulled<'_>,
    pulls: i64,
    at: DateTime<Utc>,
) -> sea_orm::sea_query::UpdateStatement {
    use sea_orm::QueryTrait;
    let q = tag::Entity::update_many()
        .col_expr(tag::Column::PullCount, Expr::col(tag::Column::PullCount).add(pulls))
        // Out-of-order pulls must not move it backwards.
        .col_expr(
            tag::Column::LastPulledAt,
            Expr::case(
                Expr::col(tag::Column::LastPulledAt)
                    .is_null()
                    .or(Expr::col(tag::Column::LastPulledAt).lt(at)),
                Expr::value(Some(at)),
            )
            .finally(Expr::col(tag::Column::LastPulledAt))
            .into(),
        )
        .filter(tag::Column::RepositoryId.eq(repository_id));
    match pulled {
        Pulled::Tag(t) => q.filter(tag::Column::Name.eq(t)),
        Pulled::Digest(d) => q.filter(tag::Column::Digest.eq(d)),
    }
    .into_query()
}

impl From<tag::Model> for crate::domain::dto::TagRow {
    fn from(t: tag::Model) -> Self {
        crate::domain::dto::TagRow {
            tag: t.name,
            digest: t.digest,
            media_type: t.media_type,
            size: t.size,
            pushed_by: t.pushed_by,
            pushed_at: t.pushed_at.to_rfc3339(),
            pulls: t.pull_count,
            last_pulled_at: t.last_pulled_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// One page of a repository's tags, each with the other tags sharing its digest (accessory
/// tags only when asked for).
pub async fn page(
    db: &impl ConnectionTrait,
    q: &super::image_rows::ImageQuery<'_>,
) -> Result<crate::domain::dto::Page<crate::domain::dto::TagView>, AppError> {
    use crate::domain::TagSort;
    use sea_orm::{PaginatorTrait, QuerySelect};

    let (repository_id, page, per_page) = (q.repository_id, q.page, q.per_page);
    let mut find = tag::Entity::find().filter(tag::Column::RepositoryId.eq(repository_id));
    if let Some(t) = q.text.map(str::trim).filter(|t| !t.is_empty()) {
        find = find.filter(tag::Column::Name.like(super::like_pattern(t)));
    }
    if !q.with_accessories {
        find = find.filter(super::image_rows::accessory_tag_names().not());
    }
    let total = find.clone().count(db).await?;
    find = match q.sort {
        // Digest second: tags pushed together on one manifest stay side by side.
        TagSort::Pushed => find
            .order_by_desc(tag::Column::PushedAt)
            .order_by_asc(tag::Column::Digest)
            .order_by_asc(tag::Column::Name),
        TagSort::Name => find.order_by_asc(tag::Column::Name),
        TagSort::Pulls => find
            .order_by_desc(tag::Column::PullCount)
            .order_by_asc(tag::Column::Name),
        TagSort::Size => find.order_by_desc(tag::Column::Size).order_by_asc(tag::Column::Name),
    };
    let rows = find.offset((page - 1) * per_page).limit(per_page).all(db).await?;
    let digests: Vec<String> = rows.iter().map(|t| t.digest.clone()).collect();
    let mut by_digest: HashMap<String, Vec<String>> = HashMap::new();
    let sharing: Vec<(String, String)> = tag::Entity::find()
        .select_only()
        .column(tag::Column::Digest)
        .column(tag::Column::Name)
        .filter(tag::Column::RepositoryId.eq(repository_id))
        .filter(tag::Column::Digest.is_in(digests))
        .order_by_asc(tag::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    for (digest, name) in sharing {
        by_digest.entry(digest).or_default().push(name);
    }
    let items = rows
        .into_iter()
        .map(|t| {
            let same_digest = by_digest
                .get(&t.digest)
                .map(|names| names.iter().filter(|n| **n != t.name).cloned().collect())
                .unwrap_or_default();
            crate::domain::dto::TagView {
                row: t.into(),
                same_digest,
            }
        })
        .collect();
    Ok(crate::domain::dto::Page {
        items,
        total,
        page,
        per_page,
        total_capped: false,
    })
}

/// Tags whose name contains `text`, or (a digest prefix of 7 or more hex digits) whose digest
/// starts with it, in the namespaces `namespace_ids` (`None`: every namespace), as
/// `(repository, tag)` ordered by repository then tag, at most `limit`.
///
/// Built not to read every tag: the text is matched against the known tag names first
/// ([`super::tag_names`]). When few tags carry the matching names, they are read by name;
/// when many do (`v1` in every repository), the repositories are walked in name order and
/// probed until `limit` are found. A digest prefix is a range of the digest index.
pub async fn search(
    db: &impl ConnectionTrait,
    text: &str,
    namespace_ids: Option<&[i64]>,
    limit: u64,
) -> Result<Vec<(String, String)>, AppError> {
    use sea_orm::QuerySelect;
    // More matching names than this are not listed but matched again by a subquery.
    const MANY_NAMES: u64 = 500;
    // Up to this many tags with the matching names are read by name, and sorted.
    const FEW_TAGS: u64 = 2000;
    let mut ids: Vec<i64> = Vec::new();
    let names = super::tag_names::matching(db, text, MANY_NAMES + 1).await?;
    if !names.is_empty() {
        let mut few = false;
        if names.len() as u64 <= MANY_NAMES {
            let by_name: Vec<i64> = tag::Entity::find()
                .select_only()
                .column(tag::Column::Id)
                .filter(tag::Column::Name.is_in(names.iter().map(String::as_str)))
                .limit(FEW_TAGS + 1)
                .into_tuple()
                .all(db)
                .await?;
            if by_name.len() as u64 <= FEW_TAGS {
                few = true;
                ids.extend(by_name);
            }
        }
        if !few {
            let named = if names.len() as u64 <= MANY_NAMES {
                tag::Column::Name.is_in(names.iter().map(String::as_str))
            } else {
                tag::Column::Name.in_subquery(super::tag_names::containing_subquery(text))
            };
            ids.extend(first_tag_ids_by_repository(db, named, namespace_ids, limit).await?);
        }
    }
    if let Some(prefix) = crate::domain::image::digest_prefix(text) {
        let on_digest = match db.get_database_backend() {
            // SQLite compares bytes: the prefix's tags sort between it and it + '~' (after hex).
            sea_orm::DatabaseBackend::Sqlite => tag::Column::Digest
                .gte(prefix.as_str())
                .and(tag::Column::Digest.lt(format!("{prefix}~"))),
            // PostgreSQL's collation may not: LIKE, on the pattern-ops index (migration 14).
            _ => tag::Column::Digest.starts_with(prefix.as_str()),
        };
        ids.extend(first_tag_ids(db, on_digest, namespace_ids, limit).await?);
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    ids.sort_unstable();
    ids.dedup();
    // The candidates, filtered by namespace and ordered by the database (its collation).
    Ok(tags_in_namespaces(namespace_ids)
        .column_as(crate::backend::entity::repository::Column::Name, "repository")
        .column(tag::Column::Name)
        .filter(tag::Column::Id.is_in(ids))
        .order_by_asc(crate::backend::entity::repository::Column::Name)
        .order_by_asc(tag::Column::Name)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Tags joined to their repositories, in the namespaces `namespace_ids` (`None`: in any
/// namespace, not orphans), selecting nothing yet.
fn tags_in_namespaces(namespace_ids: Option<&[i64]>) -> sea_orm::Select<tag::Entity> {
    use crate::backend::entity::repository;
    use sea_orm::{JoinType, QuerySelect, RelationTrait};
    let find = tag::Entity::find()
        .select_only()
        .join(JoinType::InnerJoin, tag::Relation::Repository.def());
    match namespace_ids {
        Some(ids) => find.filter(repository::Column::NamespaceId.is_in(ids.to_vec())),
        None => find.filter(repository::Column::NamespaceId.is_not_null()),
    }
}

/// Ids of the first `limit` tags (by repository name, then tag name) meeting `condition` in
/// the namespaces `namespace_ids`, when many tags meet it: the repositories are walked in name
/// order, each probed for such tags, until `limit` are found. SQLite is held to that order by
/// `CROSS JOIN` (it may not reorder one): sampled statistics make it read every tag so named
/// and sort them instead (100 ms against 0.2 at a million tags). PostgreSQL treats the cross
/// join with its condition as the join it is and chooses well by itself.
async fn first_tag_ids_by_repository(
    db: &impl ConnectionTrait,
    condition: sea_orm::sea_query::SimpleExpr,
    namespace_ids: Option<&[i64]>,
    limit: u64,
) -> Result<Vec<i64>, AppError> {
    use crate::backend::entity::repository;
    use sea_orm::sea_query::Query;
    let mut select = Query::select();
    select
        .column((tag::Entity, tag::Column::Id))
        .from(repository::Entity)
        .cross_join(tag::Entity)
        .and_where(
            Expr::col((tag::Entity, tag::Column::RepositoryId)).equals((repository::Entity, repository::Column::Id)),
        )
        .and_where(condition)
        .and_where(match namespace_ids {
            Some(ids) => Expr::col((repository::Entity, repository::Column::NamespaceId)).is_in(ids.iter().copied()),
            None => Expr::col((repository::Entity, repository::Column::NamespaceId)).is_not_null(),
        })
        .order_by((repository::Entity, repository::Column::Name), sea_orm::Order::Asc)
        .order_by((tag::Entity, tag::Column::Name), sea_orm::Order::Asc)
        .limit(limit);
    db.query_all(&select)
        .await?
        .iter()
        .map(|row| Ok(row.try_get_by_index::<i64>(0)?))
        .collect()
}

/// Ids of the first `limit` tags (by repository name, then tag name) meeting `condition` in
/// the namespaces `namespace_ids`, when few tags meet it (read by an index on the tags, then
/// joined and sorted).
async fn first_tag_ids(
    db: &impl ConnectionTrait,
    condition: sea_orm::sea_query::SimpleExpr,
    namespace_ids: Option<&[i64]>,
    limit: u64,
) -> Result<Vec<i64>, AppError> {
    use crate::backend::entity::repository;
    use sea_orm::QuerySelect;
    Ok(tags_in_namespaces(namespace_ids)
        .column(tag::Column::Id)
        .filter(condition)
        .order_by_asc(repository::Column::Name)
        .order_by_asc(tag::Column::Name)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::store::repositories::{self, LockedRepositories};
    use crate::backend::store::test_db::memory_db;
    use crate::domain::RepositoryName;

    fn at(second: u32) -> DateTime<Utc> {
        format!("2026-11-28T10:00:{second:02}Z").parse().unwrap()
    }

    fn push<'a>(tag: &'a str, digest: &'a str, second: u32) -> TagPush<'a> {
        TagPush {
            repository_id: 1,
            tag,
            digest,
            media_type: "application/vnd.oci.image.manifest.v1+json",
            size: 10,
            pushed_by: Some("alice"),
            at: at(second),
        }
    }

    #[test]
    fn a_push_adds_moves_refreshes_or_is_stale() {
        let (write, first) = decide_push(None, &push("v1", "sha256:a", 5));
        assert_eq!(write, TagWrite::Added);
        let first = first.unwrap();
        assert_eq!((first.pushed_at, first.seen_at), (at(5), at(5)));

        // Older than what is stored, another digest: stale, nothing to write.
        assert_eq!(
            decide_push(Some(&first), &push("v1", "sha256:b", 4)),
            (TagWrite::Stale, None)
        );

        // The same digest again, even older: confirmed, first push time and newest sighting kept.
        let mut unknown = push("v1", "sha256:a", 3);
        unknown.media_type = "";
        unknown.size = 0;
        let (write, same) = decide_push(Some(&first), &unknown);
        assert_eq!(write, TagWrite::Refreshed);
        assert_eq!(same.unwrap(), first, "nothing unknown overwrites what is known");

        let (write, moved) = decide_push(Some(&first), &push("v1", "sha256:b", 6));
        assert_eq!(write, TagWrite::Moved);
        let moved = moved.unwrap();
        assert_eq!((moved.digest.as_str(), moved.pushed_at), ("sha256:b", at(6)));
    }

    #[tokio::test]
    async fn pushed_states_are_written_in_one_go_and_read_back_without_touching_pulls() {
        let db = memory_db().await;
        let name = RepositoryName::try_from("alice/app".to_owned()).unwrap();
        let names = BTreeSet::from(["alice/app"]);
        let mut locked = LockedRepositories::lock(&db, &names).await.unwrap();
        assert!(locked.get("alice/app").is_none(), "not there yet");
        let touches = locked.ensure(&db, &[(&name, at(1)), (&name, at(3))]).await.unwrap();
        assert!(touches.is_empty(), "created: nothing to move forward");
        assert!(locked.get("alice/app").is_some(), "remembered once created");
        let repo = repositories::find_by_name(&db, "alice/app").await.unwrap().unwrap();
        assert_eq!(repo.updated_at, at(3), "created at the run's newest push");
        assert!(repo.namespace_id.is_none(), "no such namespace: kept as an orphan");

        let (_, v1) = decide_push(None, &push("v1", "sha256:a", 2));
        write_pushed(&db, &[((repo.id, "v1".into()), v1.clone().unwrap())])
            .await
            .unwrap();
        count_pull(&db, repo.id, Some("v1"), None, at(3)).await.unwrap();

        let states = pushed_states(&db, &[(repo.id, "v1"), (repo.id, "v2")]).await.unwrap();
        assert_eq!(states.len(), 1, "v2 does not exist");
        let (_, moved) = decide_push(states.get(&(repo.id, "v1".to_owned())), &push("v1", "sha256:b", 4));
        let (_, v2) = decide_push(None, &push("v2", "sha256:c", 4));
        write_pushed(
            &db,
            &[
                ((repo.id, "v1".into()), moved.unwrap()),
                ((repo.id, "v2".into()), v2.unwrap()),
            ],
        )
        .await
        .unwrap();
        let rows: Vec<(String, String, i64)> = list(&db, repo.id)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.name, t.digest, t.pull_count))
            .collect();
        assert_eq!(
            rows,
            [
                ("v1".to_owned(), "sha256:b".to_owned(), 1),
                ("v2".to_owned(), "sha256:c".to_owned(), 0)
            ]
        );

        // Touched forward only: a later push moves updated_at, an earlier one does not.
        let touch = |at| {
            let (db, name, names) = (&db, &name, &names);
            async move {
                let mut locked = LockedRepositories::lock(db, names).await.unwrap();
                assert!(
                    locked.namespaces_without_hooks().next().is_none(),
                    "an orphan has no namespace to have hooks"
                );
                for statement in locked.ensure(db, &[(name, at)]).await.unwrap() {
                    db.execute(&statement).await.unwrap();
                }
                repositories::find_by_name(db, "alice/app")
                    .await
                    .unwrap()
                    .unwrap()
                    .updated_at
            }
        };
        assert_eq!(touch(at(9)).await, at(9));
        assert_eq!(touch(at(5)).await, at(9));
    }

    /// The tag search of a million-tag catalog, as it was (a scan of every tag's name): what
    /// [`search`] must still answer, row for row.
    async fn search_by_scan(
        db: &impl ConnectionTrait,
        text: &str,
        namespace_ids: Option<&[i64]>,
        limit: u64,
    ) -> Vec<(String, String)> {
        use crate::backend::entity::repository;
        use sea_orm::QuerySelect;
        let mut matches = Condition::any().add(tag::Column::Name.like(crate::backend::store::like_pattern(text)));
        if let Some(prefix) = crate::domain::image::digest_prefix(text) {
            matches = matches.add(tag::Column::Digest.starts_with(prefix));
        }
        tags_in_namespaces(namespace_ids)
            .column_as(repository::Column::Name, "repository")
            .column(tag::Column::Name)
            .filter(matches)
            .order_by_asc(repository::Column::Name)
            .order_by_asc(tag::Column::Name)
            .limit(limit)
            .into_tuple()
            .all(db)
            .await
            .unwrap()
    }

    /// Every path of [`search`] (few tags by name, many walked by repository, more than 500
    /// matching names, digest prefixes) answers what the scan answered, in the same order, for
    /// every namespace filter.
    #[tokio::test]
    async fn search_answers_what_a_scan_of_every_tag_answers() {
        search_answers_as_the_scan(&memory_db().await).await;
    }

    /// The same on PostgreSQL: its planner takes other paths, its collation orders the names.
    #[tokio::test]
    async fn search_answers_what_a_scan_of_every_tag_answers_on_postgres() {
        let (db, _drop) = crate::backend::store::test_db::postgres_db().await;
        search_answers_as_the_scan(&db).await;
    }

    async fn search_answers_as_the_scan(db: &sea_orm::DatabaseConnection) {
        use crate::backend::entity::{namespace, repository};
        use crate::domain::{NamespaceKindName, Visibility};
        use sea_orm::ActiveModelTrait;
        let mut namespace_ids = Vec::new();
        for ns in ["alpha", "beta", "gamma"] {
            let created = namespace::ActiveModel {
                name: Set(ns.into()),
                kind: Set(NamespaceKindName::Team),
                team_id: Set(None),
                owner_user_id: Set(None),
                visibility: Set(Visibility::Private),
                description: Set(String::new()),
                created_at: Set(at(0)),
                ..Default::default()
            }
            .insert(db)
            .await
            .unwrap();
            namespace_ids.push(created.id);
        }
        let mut states = Vec::new();
        let mut repo_index = 0;
        // 3 namespaces x 30 repositories and one orphan; each with latest, v1..v25 and 8 build
        // tags of its own (720 distinct build names); digests shared every 7 tags.
        for (ns, ns_name) in namespace_ids
            .iter()
            .map(|id| Some(*id))
            .chain([None])
            .zip(["alpha", "beta", "gamma", "lost"])
        {
            for r in 0..(if ns.is_some() { 30 } else { 1 }) {
                let repo = repository::ActiveModel {
                    namespace_id: Set(ns),
                    // Not inserted in name order: the order must come from the names.
                    name: Set(format!("{ns_name}/app{:02}", (r * 7) % 30)),
                    description: Set(String::new()),
                    created_at: Set(at(0)),
                    updated_at: Set(at(0)),
                    pull_count: Set(0),
                    last_pulled_at: Set(None),
                    ..Default::default()
                }
                .insert(db)
                .await
                .unwrap();
                let mut names: Vec<String> = (1..=25).map(|v| format!("v{v}")).collect();
                names.push("latest".into());
                names.extend((0..8).map(|k| format!("build-{}", repo_index * 8 + k)));
                for (i, name) in names.into_iter().enumerate() {
                    let h = (((repo_index * 40 + i) / 7) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    let digest = format!("sha256:{h:016x}{:016x}{:016x}{:016x}", h ^ 1, h ^ 2, h ^ 3);
                    let state = PushedState::pushed(&TagPush {
                        repository_id: repo.id,
                        tag: &name,
                        digest: &digest,
                        media_type: "application/vnd.oci.image.manifest.v1+json",
                        size: 1,
                        pushed_by: None,
                        at: at(1),
                    });
                    states.push(((repo.id, name), state));
                }
                repo_index += 1;
            }
        }
        write_pushed(db, &states).await.unwrap();
        let some_digest = &states[100].1.digest;
        let texts = [
            "v",
            "v1",
            "v2",
            "v25",
            "latest",
            "build",
            "build-1",
            "uild-7",
            "ild-71",
            "nomatch",
            "_",
            "%",
            "-",
            &some_digest[7..14],
            some_digest,
            &some_digest[..20],
            "0000000",
        ];
        let filters: [Option<Vec<i64>>; 5] = [
            None,
            Some(vec![namespace_ids[0]]),
            Some(vec![namespace_ids[0], namespace_ids[2]]),
            Some(namespace_ids.clone()),
            Some(vec![]),
        ];
        let mut seen_results = 0;
        for text in texts {
            for filter in &filters {
                for limit in [1, 10, 100] {
                    let got = search(db, text, filter.as_deref(), limit).await.unwrap();
                    let want = search_by_scan(db, text, filter.as_deref(), limit).await;
                    assert_eq!(got, want, "q={text:?} namespaces={filter:?} limit={limit}");
                    seen_results += got.len();
                }
            }
        }
        assert!(seen_results > 1000, "the cases find tags ({seen_results})");
    }
}
