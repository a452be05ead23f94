//! Registries (the endpoint users log in to) and their replicas (the registry processes behind
//! the load balancer), with each replica's health and last notification.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::backend::entity::{registry, replica, replica_probe};
use crate::domain::{AppError, RegistryVersion};

/// The registry a single-registry install uses.
pub const DEFAULT_REGISTRY: &str = "default";
/// Probes shown with each replica's status.
const STATUS_HISTORY: u64 = 10;
/// How long probe history is kept.
const PROBE_HISTORY_HOURS: i64 = 24;

fn check_name(kind: &str, name: &str) -> Result<(), AppError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "{kind} name {name:?}: use 1 to 64 letters, digits, '-', '_', '.' or ':'"
        )))
    }
}

/// Checks a replica URL: `http(s)://host:port` with no path, query or credentials.
pub fn normalize_url(raw: &str) -> Result<String, AppError> {
    let bad = |why: &str| AppError::BadRequest(format!("replica URL {raw:?}: {why}"));
    let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("use http:// or https://"));
    }
    if url.host_str().is_none() || !url.username().is_empty() || url.password().is_some() {
        return Err(bad("give a host and no credentials"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("give only scheme, host and port"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// A replica name from its URL: `host:port`.
pub fn name_from_url(url: &str) -> String {
    url.split("://").nth(1).unwrap_or(url).chars().take(64).collect()
}

pub async fn find(db: &impl ConnectionTrait, name: &str) -> Result<Option<registry::Model>, AppError> {
    Ok(registry::Entity::find()
        .filter(registry::Column::Name.eq(name))
        .one(db)
        .await?)
}

pub async fn require(db: &impl ConnectionTrait, name: &str) -> Result<registry::Model, AppError> {
    find(db, name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no registry called {name:?}")))
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<registry::Model>, AppError> {
    Ok(registry::Entity::find()
        .order_by_asc(registry::Column::Name)
        .all(db)
        .await?)
}

/// Adds a registry, or updates the public endpoint of an existing one.
pub async fn upsert(db: &impl ConnectionTrait, name: &str, public_host: &str) -> Result<registry::Model, AppError> {
    check_name("registry", name)?;
    if public_host.is_empty() || public_host.len() > 255 || public_host.contains(['/', ' ']) {
        return Err(AppError::BadRequest(format!(
            "public endpoint {public_host:?}: give host:port, as users type it in docker login"
        )));
    }
    if let Some(existing) = find(db, name).await? {
        let mut active: registry::ActiveModel = existing.into();
        active.public_host = Set(public_host.to_owned());
        return Ok(active.update(db).await?);
    }
    Ok(registry::ActiveModel {
        name: Set(name.to_owned()),
        public_host: Set(public_host.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Counts changes to replicas made by this process, so what is remembered about them (which
/// replica sent a notification) is looked up again at once.
static REPLICAS_CHANGED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many times this process changed replicas so far.
pub fn replicas_changed() -> u64 {
    REPLICAS_CHANGED.load(std::sync::atomic::Ordering::Relaxed)
}

fn note_replicas_changed() {
    REPLICAS_CHANGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Adds a replica to a registry, or updates the debug URL of the one with this URL.
pub async fn upsert_replica(
    db: &impl ConnectionTrait,
    registry: &registry::Model,
    name: Option<&str>,
    url: &str,
    debug_url: Option<&str>,
    version: Option<RegistryVersion>,
) -> Result<replica::Model, AppError> {
    let url = normalize_url(url)?;
    let debug_url = debug_url.map(normalize_url).transpose()?;
    let name = name.map_or_else(|| name_from_url(&url), str::to_owned);
    check_name("replica", &name)?;
    let existing = replica::Entity::find()
        .filter(replica::Column::RegistryId.eq(registry.id))
        .filter(replica::Column::Url.eq(&url))
        .one(db)
        .await?;
    if let Some(existing) = existing {
        let mut active: replica::ActiveModel = existing.into();
        active.debug_url = Set(debug_url);
        active.name = Set(name);
        if let Some(v) = version {
            active.registry_version = Set(v);
        }
        let updated = active.update(db).await?;
        note_replicas_changed();
        return Ok(updated);
    }
    let added = replica::ActiveModel {
        registry_id: Set(registry.id),
        name: Set(name),
        url: Set(url),
        debug_url: Set(debug_url),
        // New replicas run the current release unless told otherwise.
        registry_version: Set(version.unwrap_or(RegistryVersion::V3)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    note_replicas_changed();
    Ok(added)
}

pub async fn remove_replica(db: &impl ConnectionTrait, registry: &registry::Model, url: &str) -> Result<(), AppError> {
    let url = normalize_url(url)?;
    let res = replica::Entity::delete_many()
        .filter(replica::Column::RegistryId.eq(registry.id))
        .filter(replica::Column::Url.eq(&url))
        .exec(db)
        .await?;
    note_replicas_changed();
    if res.rows_affected == 0 {
        return Err(AppError::NotFound(format!(
            "registry {} has no replica {url}",
            registry.name
        )));
    }
    Ok(())
}

/// Replicas of every registry (or one), healthy first, then by name.
pub async fn replicas(db: &impl ConnectionTrait, registry_id: Option<i64>) -> Result<Vec<replica::Model>, AppError> {
    let mut q = replica::Entity::find().order_by_asc(replica::Column::Name);
    if let Some(id) = registry_id {
        q = q.filter(replica::Column::RegistryId.eq(id));
    }
    let mut all = q.all(db).await?;
    // Healthy, then never probed, then down: the order sync and deletes try them in.
    all.sort_by_key(|r| match r.healthy {
        Some(true) => 0,
        None => 1,
        Some(false) => 2,
    });
    Ok(all)
}

/// The replica that sent a notification, if known: by the name in the notification URL, else
/// by its instance id.
pub async fn event_source(
    db: &impl ConnectionTrait,
    replica_name: Option<&str>,
    instance_id: Option<&str>,
) -> Result<Option<i64>, AppError> {
    if let Some(name) = replica_name {
        if let Some(r) = replica::Entity::find()
            .filter(replica::Column::Name.eq(name))
            .one(db)
            .await?
        {
            return Ok(Some(r.id));
        }
    }
    if let Some(instance) = instance_id {
        if let Some(r) = replica::Entity::find()
            .filter(replica::Column::InstanceId.eq(instance))
            .one(db)
            .await?
        {
            return Ok(Some(r.id));
        }
    }
    Ok(None)
}

/// Records when a replica last sent a notification (and from which instance and address).
/// The row changes at most once a second unless the instance changed, so the processes of a
/// busy registry do not all queue on it (each process also asks at most once a second:
/// `events::sources`).
pub async fn note_event(
    db: &impl ConnectionTrait,
    replica_id: i64,
    source_addr: Option<&str>,
    instance_id: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let stale = sea_orm::Condition::any()
        .add(replica::Column::LastEventAt.is_null())
        .add(replica::Column::LastEventAt.lt(at - Duration::seconds(1)))
        .add(replica::Column::InstanceId.is_null())
        .add(replica::Column::InstanceId.ne(instance_id.unwrap_or_default()));
    replica::Entity::update_many()
        .col_expr(replica::Column::LastEventAt, Expr::value(Some(at)))
        .col_expr(replica::Column::InstanceId, Expr::value(instance_id.map(str::to_owned)))
        .col_expr(replica::Column::SourceAddr, Expr::value(source_addr.map(str::to_owned)))
        .filter(replica::Column::Id.eq(replica_id))
        .filter(stale)
        .exec(db)
        .await?;
    Ok(())
}

/// Stores one probe result; returns the previous health when it changed.
pub async fn record_probe(
    db: &impl ConnectionTrait,
    replica: &replica::Model,
    healthy: bool,
    detail: &str,
    latency_ms: i32,
) -> Result<bool, AppError> {
    let now = Utc::now();
    let changed = replica.healthy != Some(healthy);
    let detail: String = detail.chars().take(255).collect();
    let mut active: replica::ActiveModel = replica.clone().into();
    active.healthy = Set(Some(healthy));
    active.last_probe_at = Set(Some(now));
    active.last_error = Set((!healthy).then(|| detail.clone()));
    if changed {
        active.status_changed_at = Set(Some(now));
    }
    active.update(db).await?;
    replica_probe::ActiveModel {
        replica_id: Set(replica.id),
        probed_at: Set(now),
        healthy: Set(healthy),
        detail: Set(detail),
        latency_ms: Set(latency_ms),
        ..Default::default()
    }
    .insert(db)
    .await?;
    replica_probe::Entity::delete_many()
        .filter(replica_probe::Column::ReplicaId.eq(replica.id))
        .filter(replica_probe::Column::ProbedAt.lt(now - Duration::hours(PROBE_HISTORY_HOURS)))
        .exec(db)
        .await?;
    Ok(changed)
}

/// The most recent probes of a replica, newest first.
pub async fn recent_probes(
    db: &impl ConnectionTrait,
    replica_id: i64,
    limit: u64,
) -> Result<Vec<replica_probe::Model>, AppError> {
    use sea_orm::QuerySelect;
    Ok(replica_probe::Entity::find()
        .filter(replica_probe::Column::ReplicaId.eq(replica_id))
        .order_by_desc(replica_probe::Column::ProbedAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// The latest `limit` probes of every replica, newest first, in one query (a window over
/// `replica_probes`, which SQLite and PostgreSQL both run).
pub async fn recent_probes_of_all(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<HashMap<i64, Vec<replica_probe::Model>>, AppError> {
    let sql = format!(
        "SELECT id, replica_id, probed_at, healthy, detail, latency_ms FROM (\
           SELECT p.*, ROW_NUMBER() OVER (PARTITION BY replica_id ORDER BY probed_at DESC, id DESC) AS rn \
           FROM replica_probes p) ranked \
         WHERE rn <= {limit} ORDER BY replica_id, probed_at DESC, id DESC"
    );
    let rows = replica_probe::Entity::find()
        .from_raw_sql(sea_orm::Statement::from_string(db.get_database_backend(), sql))
        .all(db)
        .await?;
    let mut by_replica: HashMap<i64, Vec<replica_probe::Model>> = HashMap::new();
    for p in rows {
        by_replica.entry(p.replica_id).or_default().push(p);
    }
    Ok(by_replica)
}

/// Every replica of every registry with its health, for status pages and the CLI: three
/// queries whatever the number of replicas.
pub async fn status(db: &impl ConnectionTrait) -> Result<Vec<crate::domain::dto::ReplicaStatus>, AppError> {
    let regs = list(db).await?;
    let mut reps = replicas(db, None).await?;
    reps.sort_by(|a, b| a.name.cmp(&b.name));
    let mut probes = recent_probes_of_all(db, STATUS_HISTORY).await?;
    let mut out = Vec::new();
    for reg in &regs {
        for r in reps.iter().filter(|r| r.registry_id == reg.id).cloned() {
            let history = probes
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(|p| crate::domain::dto::ProbeResult {
                    at: p.probed_at.to_rfc3339(),
                    up: p.healthy,
                    detail: p.detail,
                    latency_ms: p.latency_ms,
                })
                .collect();
            out.push(crate::domain::dto::ReplicaStatus {
                history,
                registry: reg.name.clone(),
                public_host: reg.public_host.clone(),
                registry_version: r.registry_version.to_string(),
                status: match r.healthy {
                    Some(true) => "up",
                    Some(false) => "down",
                    None => "unknown",
                }
                .into(),
                last_probe_at: r.last_probe_at.map(|t| t.to_rfc3339()),
                last_error: r.last_error,
                status_changed_at: r.status_changed_at.map(|t| t.to_rfc3339()),
                last_event_at: r.last_event_at.map(|t| t.to_rfc3339()),
                instance_id: r.instance_id,
                source_addr: r.source_addr,
                name: r.name,
                url: r.url,
                debug_url: r.debug_url,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::store::test_db::memory_db;

    #[tokio::test]
    async fn status_shows_each_replicas_latest_probes_in_name_order() {
        let db = memory_db().await;
        let reg = upsert(&db, "default", "registry.example:443").await.unwrap();
        let b = upsert_replica(&db, &reg, Some("b"), "http://127.0.0.1:5002", None, None)
            .await
            .unwrap();
        let a = upsert_replica(
            &db,
            &reg,
            Some("a"),
            "http://127.0.0.1:5001",
            None,
            Some(RegistryVersion::V2),
        )
        .await
        .unwrap();
        for i in 0..12 {
            record_probe(&db, &a, i % 2 == 0, &format!("a{i}"), i).await.unwrap();
        }
        record_probe(&db, &b, false, "b0", 7).await.unwrap();

        let status = status(&db).await.unwrap();
        let names: Vec<&str> = status.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        let a_history: Vec<&str> = status[0].history.iter().map(|p| p.detail.as_str()).collect();
        assert_eq!(a_history.len(), STATUS_HISTORY as usize, "only the latest");
        assert_eq!(a_history[0], "a11", "newest first");
        assert_eq!(status[0].registry_version, "2");
        assert_eq!(status[1].history.len(), 1);
        assert_eq!(status[1].status, "down");
        assert_eq!(status[1].registry_version, "3", "the current release unless told");
    }
}
