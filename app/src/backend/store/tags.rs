//! Tags: which digest each name points at, who pushed it, how often it is pulled.
//!
//! Every write carries the registry time it reflects (event timestamp, or when sync looked),
//! kept in `seen_at`, and never overwrites a newer one: out-of-order events and a sync racing a
//! push both end in the state the registry really has. (`pushed_at` is the first push, shown to
//! users; rows written before `seen_at` existed fall back to it.)

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

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

/// The row a first push of a tag creates.
fn new_row(p: &TagPush<'_>) -> tag::ActiveModel {
    tag::ActiveModel {
        repository_id: Set(p.repository_id),
        name: Set(p.tag.to_owned()),
        digest: Set(p.digest.to_owned()),
        media_type: Set(p.media_type.to_owned()),
        size: Set(p.size),
        pushed_by: Set(p.pushed_by.map(str::to_owned)),
        pushed_at: Set(p.at),
        pull_count: Set(0),
        last_pulled_at: Set(None),
        seen_at: Set(Some(p.at)),
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
    let rows = pushes.iter().map(new_row);
    let res = tag::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([tag::Column::RepositoryId, tag::Column::Name])
        .exec_without_returning(db)
        .await?;
    Ok(match res {
        sea_orm::TryInsertResult::Inserted(n) => n,
        _ => 0,
    })
}

/// Points a tag at a digest unless a newer write is already there.
pub async fn record_push(db: &impl ConnectionTrait, p: TagPush<'_>) -> Result<TagWrite, AppError> {
    match find(db, p.repository_id, p.tag).await? {
        None => {
            if insert_new(db, &p).await? {
                Ok(TagWrite::Added)
            } else {
                // Inserted concurrently by another request: settle it like an existing row.
                Box::pin(record_push(db, p)).await
            }
        }
        Some(existing) if existing.digest == p.digest => {
            // The same manifest confirmed again (an event after sync found it, or a re-push):
            // move the confirmation time forward, fill in what sync could not know.
            let mut active: tag::ActiveModel = existing.clone().into();
            if !p.media_type.is_empty() {
                active.media_type = Set(p.media_type.to_owned());
            }
            if p.size > 0 {
                active.size = Set(p.size);
            }
            if let Some(by) = p.pushed_by {
                active.pushed_by = Set(Some(by.to_owned()));
            }
            active.seen_at = Set(Some(std::cmp::max(seen(&existing), p.at)));
            active.update(db).await?;
            Ok(TagWrite::Refreshed)
        }
        Some(existing) if seen(&existing) > p.at => Ok(TagWrite::Stale),
        Some(existing) => {
            let mut active: tag::ActiveModel = existing.into();
            active.digest = Set(p.digest.to_owned());
            active.media_type = Set(p.media_type.to_owned());
            active.size = Set(p.size);
            active.pushed_by = Set(p.pushed_by.map(str::to_owned));
            active.pushed_at = Set(p.at);
            active.seen_at = Set(Some(p.at));
            active.update(db).await?;
            Ok(TagWrite::Moved)
        }
    }
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
pub async fn count_pull(
    db: &impl ConnectionTrait,
    repository_id: i64,
    tag_name: Option<&str>,
    digest: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut q = tag::Entity::update_many()
        .col_expr(tag::Column::PullCount, Expr::col(tag::Column::PullCount).add(1))
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
    q = match (tag_name, digest) {
        (Some(t), _) => q.filter(tag::Column::Name.eq(t)),
        (None, Some(d)) => q.filter(tag::Column::Digest.eq(d)),
        (None, None) => return Ok(()),
    };
    q.exec(db).await?;
    Ok(())
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

/// One page of a repository's tags, each with the other tags sharing its digest.
pub async fn page(
    db: &impl ConnectionTrait,
    repository_id: i64,
    sort: crate::domain::TagSort,
    text: Option<&str>,
    page: u64,
    per_page: u64,
) -> Result<crate::domain::dto::Page<crate::domain::dto::TagView>, AppError> {
    use crate::domain::TagSort;
    use sea_orm::{PaginatorTrait, QuerySelect};
    use std::collections::HashMap;

    let mut find = tag::Entity::find().filter(tag::Column::RepositoryId.eq(repository_id));
    if let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) {
        find = find.filter(tag::Column::Name.like(super::like_pattern(t)));
    }
    let total = find.clone().count(db).await?;
    find = match sort {
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
    })
}

/// Tags whose name contains `text`, in repositories of the given namespaces (`None`: all),
/// as (repository, tag), at most `limit`.
pub async fn search(
    db: &impl ConnectionTrait,
    text: &str,
    namespace_ids: Option<&[i64]>,
    limit: u64,
) -> Result<Vec<(String, String)>, AppError> {
    use crate::backend::entity::repository;
    use sea_orm::{JoinType, QuerySelect, RelationTrait};
    let mut find = tag::Entity::find()
        .select_only()
        .column_as(repository::Column::Name, "repository")
        .column(tag::Column::Name)
        .join(JoinType::InnerJoin, tag::Relation::Repository.def())
        .filter(tag::Column::Name.like(super::like_pattern(text)));
    find = match namespace_ids {
        Some(ids) => find.filter(repository::Column::NamespaceId.is_in(ids.to_vec())),
        None => find.filter(repository::Column::NamespaceId.is_not_null()),
    };
    Ok(find
        .order_by_asc(repository::Column::Name)
        .order_by_asc(tag::Column::Name)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}
