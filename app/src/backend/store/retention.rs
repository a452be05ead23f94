//! Retention policies and runs, and what a namespace holds as the rules see it
//! (`domain::retention::ManifestFacts`). No policy decisions here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait, Set,
};

use crate::backend::entity::{manifest, repository, repository_manifest, retention_policy, retention_run, tag};
use crate::backend::images::parse::Manifest;
use crate::domain::retention::{ManifestFacts, RetentionRules, TagFacts};
use crate::domain::{AppError, RetentionStatus, RetentionTrigger};

/// (repository id, digest, tag name, pushed at, last pulled at)
type TagRow = (i64, String, String, DateTime<Utc>, Option<DateTime<Utc>>);

/// Rows per `IN (…)` list: well inside both databases' limits on bound parameters.
const CHUNK: usize = 500;

fn parse_rules(row: &retention_policy::Model) -> Result<RetentionRules, AppError> {
    serde_json::from_str(&row.rules)
        .map_err(|e| AppError::internal(format!("retention policy {} is not readable: {e}", row.id)))
}

/// The namespace's policy (repository `None`) and its repository overrides, by repository id.
pub async fn policies(
    db: &impl ConnectionTrait,
    namespace_id: i64,
) -> Result<Vec<(retention_policy::Model, RetentionRules)>, AppError> {
    let rows = retention_policy::Entity::find()
        .filter(retention_policy::Column::NamespaceId.eq(namespace_id))
        .order_by_asc(retention_policy::Column::Id)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|r| {
            let rules = parse_rules(&r)?;
            Ok((r, rules))
        })
        .collect()
}

/// Sets (or replaces) the policy of a namespace, or one repository's override.
pub async fn set_policy(
    db: &impl ConnectionTrait,
    namespace_id: i64,
    repository_id: Option<i64>,
    rules: &RetentionRules,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let json = serde_json::to_string(rules).map_err(|e| AppError::internal(e.to_string()))?;
    let existing = retention_policy::Entity::find()
        .filter(retention_policy::Column::NamespaceId.eq(namespace_id))
        .filter(match repository_id {
            Some(id) => retention_policy::Column::RepositoryId.eq(id),
            None => retention_policy::Column::RepositoryId.is_null(),
        })
        .one(db)
        .await?;
    let mut row: retention_policy::ActiveModel = match existing {
        Some(r) => r.into(),
        None => retention_policy::ActiveModel {
            namespace_id: Set(namespace_id),
            repository_id: Set(repository_id),
            ..Default::default()
        },
    };
    row.rules = Set(json);
    row.updated_by = Set(by.chars().take(64).collect());
    row.updated_at = Set(now);
    row.save(db).await?;
    Ok(())
}

/// Removes the namespace's policy or a repository's override; whether there was one.
pub async fn clear_policy(
    db: &impl ConnectionTrait,
    namespace_id: i64,
    repository_id: Option<i64>,
) -> Result<bool, AppError> {
    let done = retention_policy::Entity::delete_many()
        .filter(retention_policy::Column::NamespaceId.eq(namespace_id))
        .filter(match repository_id {
            Some(id) => retention_policy::Column::RepositoryId.eq(id),
            None => retention_policy::Column::RepositoryId.is_null(),
        })
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// The namespaces that have a policy of any kind, each with when its policies last changed
/// (for the scheduled runs).
pub async fn namespaces_with_policies(db: &impl ConnectionTrait) -> Result<Vec<(i64, DateTime<Utc>)>, AppError> {
    let rows: Vec<(i64, DateTime<Utc>)> = retention_policy::Entity::find()
        .select_only()
        .column(retention_policy::Column::NamespaceId)
        .column(retention_policy::Column::UpdatedAt)
        .into_tuple()
        .all(db)
        .await?;
    let mut latest: std::collections::BTreeMap<i64, DateTime<Utc>> = std::collections::BTreeMap::new();
    for (id, at) in rows {
        let e = latest.entry(id).or_insert(at);
        *e = std::cmp::max(*e, at);
    }
    Ok(latest.into_iter().collect())
}

/// The facts of `digest` in repository `repo`, known to wharf no later than `at` (held since
/// then, or tagged then).
fn seen(
    by_repo: &mut HashMap<i64, HashMap<String, ManifestFacts>>,
    repo: i64,
    digest: String,
    at: DateTime<Utc>,
) -> &mut ManifestFacts {
    let f = by_repo
        .entry(repo)
        .or_default()
        .entry(digest.clone())
        .or_insert_with(|| ManifestFacts {
            digest,
            first_seen: i64::MAX,
            ..Default::default()
        });
    f.first_seen = std::cmp::min(f.first_seen, at.timestamp());
    f
}

/// Every manifest each repository of the namespace holds, as the rules see it: its tags, when
/// wharf first knew it, its `subject`, and for an index the manifests it lists. A handful of
/// queries whatever the size of the namespace.
pub async fn contents(
    db: &impl ConnectionTrait,
    namespace_id: i64,
) -> Result<Vec<(repository::Model, Vec<ManifestFacts>)>, AppError> {
    let repos = repository::Entity::find()
        .filter(repository::Column::NamespaceId.eq(namespace_id))
        .order_by_asc(repository::Column::Name)
        .all(db)
        .await?;
    let in_namespace = || Expr::col((repository::Entity, repository::Column::NamespaceId)).eq(namespace_id);
    let tags: Vec<TagRow> = tag::Entity::find()
        .select_only()
        .column(tag::Column::RepositoryId)
        .column(tag::Column::Digest)
        .column(tag::Column::Name)
        .column(tag::Column::PushedAt)
        .column(tag::Column::LastPulledAt)
        .join(JoinType::InnerJoin, tag::Relation::Repository.def())
        .filter(in_namespace())
        .order_by_asc(tag::Column::Name)
        .into_tuple()
        .all(db)
        .await?;
    let held: Vec<(i64, String, DateTime<Utc>)> = repository_manifest::Entity::find()
        .select_only()
        .column(repository_manifest::Column::RepositoryId)
        .column(repository_manifest::Column::Digest)
        .column(repository_manifest::Column::SeenAt)
        .join(JoinType::InnerJoin, repository_manifest::Relation::Repository.def())
        .filter(in_namespace())
        .into_tuple()
        .all(db)
        .await?;

    let mut by_repo: HashMap<i64, HashMap<String, ManifestFacts>> = HashMap::new();
    for (repo, digest, seen_at) in held {
        seen(&mut by_repo, repo, digest, seen_at);
    }
    for (repo, digest, name, pushed_at, pulled_at) in tags {
        seen(&mut by_repo, repo, digest, pushed_at).tags.push(TagFacts {
            name,
            pushed_at: pushed_at.timestamp(),
            last_pulled_at: pulled_at.map(|t| t.timestamp()),
        });
    }

    // Subjects and index children, from the manifests wharf has read.
    let mut digests: Vec<String> = by_repo.values().flat_map(|m| m.keys().cloned()).collect();
    digests.sort();
    digests.dedup();
    let mut subject_of: HashMap<String, String> = HashMap::new();
    let mut indexes: Vec<String> = Vec::new();
    for chunk in digests.chunks(CHUNK) {
        let rows: Vec<(String, String, Option<String>)> = manifest::Entity::find()
            .select_only()
            .column(manifest::Column::Digest)
            .column(manifest::Column::MediaType)
            .column(manifest::Column::Subject)
            .filter(manifest::Column::Digest.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        for (digest, media_type, subject) in rows {
            if let Some(s) = subject {
                subject_of.insert(digest.clone(), s);
            }
            if media_type.contains("index") || media_type.contains("manifest.list") {
                indexes.push(digest);
            }
        }
    }
    let mut children_of: HashMap<String, Vec<String>> = HashMap::new();
    for chunk in indexes.chunks(CHUNK) {
        let rows: Vec<(String, String)> = manifest::Entity::find()
            .select_only()
            .column(manifest::Column::Digest)
            .column(manifest::Column::Body)
            .filter(manifest::Column::Digest.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        for (digest, body) in rows {
            if let Ok(m) = Manifest::parse(body.as_bytes()) {
                children_of.insert(digest, m.manifests.iter().map(|d| d.digest.clone()).collect());
            }
        }
    }

    Ok(repos
        .into_iter()
        .map(|r| {
            let mut manifests: Vec<ManifestFacts> = by_repo.remove(&r.id).unwrap_or_default().into_values().collect();
            for m in &mut manifests {
                m.subject = subject_of.get(&m.digest).cloned();
                m.children = children_of.get(&m.digest).cloned().unwrap_or_default();
            }
            manifests.sort_by(|a, b| a.digest.cmp(&b.digest));
            (r, manifests)
        })
        .collect())
}

/// Records the start of a run.
pub async fn start_run(
    db: &impl ConnectionTrait,
    namespace_id: i64,
    trigger: RetentionTrigger,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<retention_run::Model, AppError> {
    Ok(retention_run::ActiveModel {
        namespace_id: Set(namespace_id),
        trigger: Set(trigger),
        actor: Set(actor.chars().take(64).collect()),
        status: Set(RetentionStatus::Running),
        started_at: Set(now),
        report: Set("{}".into()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// What a finished run records.
pub struct RunOutcome<'a> {
    pub status: RetentionStatus,
    pub deleted_images: i64,
    pub deleted_tags: i64,
    pub kept_images: i64,
    pub report: &'a str,
    pub error: Option<String>,
}

pub async fn finish_run(
    db: &impl ConnectionTrait,
    run: retention_run::Model,
    outcome: RunOutcome<'_>,
    now: DateTime<Utc>,
) -> Result<retention_run::Model, AppError> {
    let mut row: retention_run::ActiveModel = run.into();
    row.status = Set(outcome.status);
    row.finished_at = Set(Some(now));
    row.deleted_images = Set(outcome.deleted_images);
    row.deleted_tags = Set(outcome.deleted_tags);
    row.kept_images = Set(outcome.kept_images);
    row.report = Set(outcome.report.to_owned());
    row.error = Set(outcome.error);
    Ok(row.update(db).await?)
}

/// The namespace's most recent runs, newest first.
pub async fn runs(
    db: &impl ConnectionTrait,
    namespace_id: i64,
    limit: u64,
) -> Result<Vec<retention_run::Model>, AppError> {
    Ok(retention_run::Entity::find()
        .filter(retention_run::Column::NamespaceId.eq(namespace_id))
        .order_by_desc(retention_run::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// When the namespace's last scheduled or manual run started.
pub async fn last_started(db: &impl ConnectionTrait, namespace_id: i64) -> Result<Option<DateTime<Utc>>, AppError> {
    Ok(retention_run::Entity::find()
        .select_only()
        .column(retention_run::Column::StartedAt)
        .filter(retention_run::Column::NamespaceId.eq(namespace_id))
        .order_by_desc(retention_run::Column::Id)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?)
}

/// Every (repository, manifest digest) wharf knows a repository holds, registry-wide.
pub async fn all_held(db: &impl ConnectionTrait) -> Result<Vec<(i64, String)>, AppError> {
    Ok(repository_manifest::Entity::find()
        .select_only()
        .column(repository_manifest::Column::RepositoryId)
        .column(repository_manifest::Column::Digest)
        .into_tuple()
        .all(db)
        .await?)
}

/// The blobs each stored manifest uses: itself, its configuration and its layers, with their
/// sizes (an index's platform images are manifests of their own). Manifests not read yet are
/// absent.
pub async fn blobs_of(
    db: &impl ConnectionTrait,
    digests: &[String],
) -> Result<HashMap<String, Vec<(String, i64)>>, AppError> {
    let mut out = HashMap::with_capacity(digests.len());
    for chunk in digests.chunks(CHUNK) {
        let rows: Vec<(String, i64, String)> = manifest::Entity::find()
            .select_only()
            .column(manifest::Column::Digest)
            .column(manifest::Column::Size)
            .column(manifest::Column::Body)
            .filter(manifest::Column::Digest.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        for (digest, size, body) in rows {
            let mut blobs = vec![(digest.clone(), size)];
            if let Ok(m) = Manifest::parse(body.as_bytes()) {
                blobs.extend(
                    m.config
                        .iter()
                        .chain(m.layers.iter())
                        .map(|d| (d.digest.clone(), std::cmp::max(d.size, 0))),
                );
            }
            out.insert(digest, blobs);
        }
    }
    Ok(out)
}
