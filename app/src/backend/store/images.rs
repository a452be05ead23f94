//! Manifests read from the registry (once per digest) and the digests each repository holds,
//! with the state of fetching them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    RelationTrait, Set,
};

use crate::backend::entity::{manifest, repository, repository_manifest};
use crate::domain::AppError;

/// Records that `repository_id` holds each of `digests` (seen at `at`); known ones are left.
pub async fn note_digests(
    db: &impl ConnectionTrait,
    repository_id: i64,
    digests: &[&str],
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let pairs: Vec<(i64, &str)> = digests.iter().map(|d| (repository_id, *d)).collect();
    note_many(db, &pairs, at).await
}

/// [`note_digests`] for digests of several repositories: `(repository_id, digest)`.
pub async fn note_many(db: &impl ConnectionTrait, pairs: &[(i64, &str)], at: DateTime<Utc>) -> Result<(), AppError> {
    for insert in note_many_queries(pairs, at) {
        db.execute(&insert).await?;
    }
    Ok(())
}

/// The statements of [`note_many`], for a caller that sends them with others
/// (`write_batch`).
pub fn note_many_queries(pairs: &[(i64, &str)], at: DateTime<Utc>) -> Vec<sea_orm::sea_query::InsertStatement> {
    // Six values a row: well inside both databases' limits on bound parameters.
    pairs
        .chunks(500)
        .map(|chunk| {
            let rows = chunk
                .iter()
                .map(|(repository_id, digest)| repository_manifest::ActiveModel {
                    repository_id: Set(*repository_id),
                    digest: Set((*digest).to_owned()),
                    seen_at: Set(at),
                    attempts: Set(0),
                    retry_at: Set(None),
                    last_error: Set(None),
                });
            repository_manifest::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        repository_manifest::Column::RepositoryId,
                        repository_manifest::Column::Digest,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .into_query()
        })
        .collect()
}

/// A digest to fetch: the repository it is in, by id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub repository_id: i64,
    pub repository: String,
    pub digest: String,
    pub attempts: i32,
}

/// Up to `limit` digests whose manifest is not stored yet and that are due (never tried, or
/// their retry time has come), the longest known first.
pub async fn pending(db: &impl ConnectionTrait, now: DateTime<Utc>, limit: u64) -> Result<Vec<Pending>, AppError> {
    use repository_manifest::Column as L;
    let rows: Vec<(i64, String, String, i32)> = repository_manifest::Entity::find()
        .select_only()
        .column(L::RepositoryId)
        .column(repository::Column::Name)
        .column(L::Digest)
        .column(L::Attempts)
        .join(JoinType::InnerJoin, repository_manifest::Relation::Repository.def())
        .join(JoinType::LeftJoin, repository_manifest::Relation::Manifest.def())
        .filter(manifest::Column::Digest.is_null())
        .filter(L::RetryAt.is_null().or(L::RetryAt.lte(now)))
        .order_by_asc(L::SeenAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(repository_id, repository, digest, attempts)| Pending {
            repository_id,
            repository,
            digest,
            attempts,
        })
        .collect())
}

/// Stores a fetched manifest (a digest stored before is left as it is: same digest, same bytes).
pub async fn store(db: &impl ConnectionTrait, m: manifest::Model) -> Result<(), AppError> {
    manifest::Entity::insert(manifest::ActiveModel::from(m))
        .on_conflict_do_nothing_on([manifest::Column::Digest])
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Records a failed fetch: tried again at `retry_at`, or never when `None`.
pub async fn fetch_failed(
    db: &impl ConnectionTrait,
    p: &Pending,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    use repository_manifest::Column as L;
    let error: String = error.chars().take(500).collect();
    repository_manifest::Entity::update_many()
        .col_expr(L::Attempts, Expr::col(L::Attempts).add(1))
        // "Never" is a retry time far away, so the row leaves the pending list.
        .col_expr(
            L::RetryAt,
            Expr::value(retry_at.unwrap_or(now + chrono::Duration::days(36_500))),
        )
        .col_expr(L::LastError, Expr::value(Some(error)))
        .filter(L::RepositoryId.eq(p.repository_id))
        .filter(L::Digest.eq(p.digest.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Stored manifests by digest.
pub async fn get_many(db: &impl ConnectionTrait, digests: &[String]) -> Result<Vec<manifest::Model>, AppError> {
    let mut out = Vec::new();
    for chunk in digests.chunks(500) {
        out.extend(
            manifest::Entity::find()
                .filter(manifest::Column::Digest.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

pub async fn get(db: &impl ConnectionTrait, digest: &str) -> Result<Option<manifest::Model>, AppError> {
    Ok(manifest::Entity::find_by_id(digest.to_owned()).one(db).await?)
}

/// The manifests of `repository_id` attached to any of `subjects` (OCI `subject`).
pub async fn attached_to(
    db: &impl ConnectionTrait,
    repository_id: i64,
    subjects: &[String],
) -> Result<Vec<manifest::Model>, AppError> {
    let mut out = Vec::new();
    for chunk in subjects.chunks(500) {
        out.extend(
            manifest::Entity::find()
                .join(JoinType::InnerJoin, manifest::Relation::RepositoryManifest.def())
                .filter(repository_manifest::Column::RepositoryId.eq(repository_id))
                .filter(manifest::Column::Subject.is_in(chunk.to_vec()))
                .order_by_asc(manifest::Column::Digest)
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The digests `repository_id` holds, with their stored manifests where fetched.
pub async fn held(
    db: &impl ConnectionTrait,
    repository_id: i64,
) -> Result<Vec<(repository_manifest::Model, Option<manifest::Model>)>, AppError> {
    Ok(repository_manifest::Entity::find()
        .filter(repository_manifest::Column::RepositoryId.eq(repository_id))
        .find_also_related(manifest::Entity)
        .all(db)
        .await?)
}

/// Forgets that `repository_id` holds `digests` (deleted from the registry); the manifests
/// stay, as other repositories may hold the same digests.
pub async fn forget(db: &impl ConnectionTrait, repository_id: i64, digests: &[String]) -> Result<(), AppError> {
    for chunk in digests.chunks(500) {
        repository_manifest::Entity::delete_many()
            .filter(repository_manifest::Column::RepositoryId.eq(repository_id))
            .filter(repository_manifest::Column::Digest.is_in(chunk.iter().cloned()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Whether `repository_id` is known to hold `digest`.
pub async fn holds(db: &impl ConnectionTrait, repository_id: i64, digest: &str) -> Result<bool, AppError> {
    Ok(
        repository_manifest::Entity::find_by_id((repository_id, digest.to_owned()))
            .one(db)
            .await?
            .is_some(),
    )
}

/// The stored indexes of `repository_id` that list `digest` (its platform's index).
pub async fn indexes_listing(
    db: &impl ConnectionTrait,
    repository_id: i64,
    digest: &str,
) -> Result<Vec<manifest::Model>, AppError> {
    Ok(manifest::Entity::find()
        .join(JoinType::InnerJoin, manifest::Relation::RepositoryManifest.def())
        .filter(repository_manifest::Column::RepositoryId.eq(repository_id))
        .filter(manifest::Column::Body.contains(digest))
        .filter(manifest::Column::Digest.ne(digest))
        .filter(
            manifest::Column::MediaType
                .contains("index")
                .or(manifest::Column::MediaType.contains("manifest.list")),
        )
        .all(db)
        .await?)
}
