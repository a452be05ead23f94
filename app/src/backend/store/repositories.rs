//! Repositories as the registry reports them. A repository whose namespace wharf does not know
//! is kept as an orphan (`namespace_id` NULL) for an admin to adopt, never dropped.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::namespaces;
use crate::backend::entity::repository;
use crate::domain::{AppError, RepositoryName};

pub async fn find_by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<repository::Model>, AppError> {
    Ok(repository::Entity::find()
        .filter(repository::Column::Name.eq(name))
        .one(db)
        .await?)
}

/// The repository called `name`, created when missing (in its namespace, or as an orphan),
/// marked updated at `at` and locked until the transaction ends (see [`lock`]). An orphan stays
/// one even when its namespace exists by now: whoever made that namespace must not inherit its
/// images, only an administrator adopts them ([`crate::backend::orphans`]). Returns whether it
/// was created.
pub async fn ensure(
    db: &impl ConnectionTrait,
    name: &RepositoryName,
    at: DateTime<Utc>,
) -> Result<(repository::Model, bool), AppError> {
    // The common case, an existing repository changed now: found, touched and (the UPDATE's
    // row lock) locked in one statement.
    let touched = repository::Entity::update_many()
        .col_expr(repository::Column::UpdatedAt, Expr::value(at))
        .filter(repository::Column::Name.eq(name.as_str()))
        .filter(repository::Column::UpdatedAt.lt(at))
        .exec_with_returning(db)
        .await?;
    if let Some(repo) = touched.into_iter().next() {
        return Ok((repo, false));
    }
    if let Some(repo) = find_by_name(db, name.as_str()).await? {
        lock(db, repo.id).await?;
        return Ok((repo, false));
    }
    let namespace_id = namespaces::find(db, name.namespace().as_ref()).await?.map(|ns| ns.id);
    if namespace_id.is_none() {
        tracing::warn!(repository = %name, "repository in an unknown namespace recorded as an orphan");
    }
    // Another request may create it at the same moment: insert-or-nothing, then read it back.
    repository::Entity::insert(repository::ActiveModel {
        namespace_id: Set(namespace_id),
        name: Set(name.to_string()),
        description: Set(String::new()),
        created_at: Set(at),
        updated_at: Set(at),
        pull_count: Set(0),
        last_pulled_at: Set(None),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([repository::Column::Name])
    .exec_without_returning(db)
    .await?;
    let repo = find_by_name(db, name.as_str())
        .await?
        .ok_or_else(|| AppError::internal("repository vanished after insert"))?;
    lock(db, repo.id).await?;
    Ok((repo, true))
}

/// Each repository of `wanted` (`(name, time)`) once, with its newest time, in name order.
fn newest_by_name<'a>(
    wanted: impl IntoIterator<Item = (&'a RepositoryName, DateTime<Utc>)>,
) -> BTreeMap<&'a str, (&'a RepositoryName, DateTime<Utc>)> {
    let mut newest: BTreeMap<&str, (&RepositoryName, DateTime<Utc>)> = BTreeMap::new();
    for (name, at) in wanted {
        let slot = newest.entry(name.as_str()).or_insert((name, at));
        slot.1 = std::cmp::max(slot.1, at);
    }
    newest
}

/// Makes sure each repository of `wanted` (`(name, time)`) exists, one after the other in name
/// order, as [`ensure`] does: the missing ones are created as by their first push.
pub async fn create_missing(
    db: &impl ConnectionTrait,
    wanted: &[(RepositoryName, DateTime<Utc>)],
) -> Result<(), AppError> {
    for (name, at) in newest_by_name(wanted.iter().map(|(name, at)| (name, *at))).into_values() {
        ensure(db, name, at).await?;
    }
    Ok(())
}

/// What an event needs of its repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepositoryRef {
    pub id: i64,
    /// `None` for an orphan.
    pub namespace_id: Option<i64>,
}

impl From<&repository::Model> for RepositoryRef {
    fn from(repo: &repository::Model) -> Self {
        RepositoryRef {
            id: repo.id,
            namespace_id: repo.namespace_id,
        }
    }
}

/// The repositories one batch of notifications touches, locked until its transaction ends:
/// read (and on PostgreSQL row-locked) together at the batch's start, in name order, so that
/// two batches written at once wait for each other instead of deadlocking, and everything the
/// batch reads afterwards (earlier deletes, tag states) is read after whoever held them
/// committed. Also knows which of their namespaces have no enabled webhook (read in the same
/// statement: most have none, and then their webhooks need no query of their own).
#[derive(Debug, Default)]
pub struct LockedRepositories {
    by_name: HashMap<String, repository::Model>,
    without_hooks: HashSet<i64>,
}

impl LockedRepositories {
    /// Reads and locks the existing repositories among `names` (one statement per few hundred).
    pub async fn lock(db: &impl ConnectionTrait, names: &BTreeSet<&str>) -> Result<LockedRepositories, AppError> {
        use sea_orm::sea_query::{LockType, Query};
        use sea_orm::FromQueryResult;
        let mut locked = LockedRepositories::default();
        let names: Vec<&str> = names.iter().copied().collect();
        for chunk in names.chunks(300) {
            let mut select = Query::select();
            select
                .expr(Expr::cust("repositories.*"))
                .expr(Expr::cust(
                    "EXISTS (SELECT 1 FROM webhooks WHERE webhooks.namespace_id = repositories.namespace_id \
                     AND webhooks.enabled) AS hooked",
                ))
                .from(repository::Entity)
                .and_where(repository::Column::Name.is_in(chunk.iter().copied()))
                .order_by(repository::Column::Name, sea_orm::sea_query::Order::Asc);
            // SQLite has no row locks: its write transaction holds the whole database already.
            if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
                select.lock(LockType::Update);
            }
            for row in db.query_all(&select).await? {
                let repo = repository::Model::from_query_result(&row, "")?;
                if let Some(ns) = repo.namespace_id {
                    if !row.try_get::<bool>("", "hooked")? {
                        locked.without_hooks.insert(ns);
                    }
                }
                locked.by_name.insert(repo.name.clone(), repo);
            }
        }
        Ok(locked)
    }

    /// Those of `wanted` (`(name, time)`) that were not there to lock.
    pub fn missing(&self, wanted: &[(&RepositoryName, DateTime<Utc>)]) -> Vec<(RepositoryName, DateTime<Utc>)> {
        wanted
            .iter()
            .filter(|(name, _)| !self.by_name.contains_key(name.as_str()))
            .map(|(name, at)| ((*name).clone(), *at))
            .collect()
    }

    pub fn get(&self, name: &str) -> Option<RepositoryRef> {
        self.by_name.get(name).map(RepositoryRef::from)
    }

    /// The repository called `name`: one locked at the start, or else
    /// (created since by another transaction) read and locked now; `None` when there is none.
    pub async fn find(&mut self, db: &impl ConnectionTrait, name: &str) -> Result<Option<RepositoryRef>, AppError> {
        if let Some(repo) = self.get(name) {
            return Ok(Some(repo));
        }
        let Some(repo) = find_by_name(db, name).await? else {
            return Ok(None);
        };
        lock(db, repo.id).await?;
        let found = RepositoryRef::from(&repo);
        self.by_name.insert(repo.name.clone(), repo);
        Ok(Some(found))
    }

    /// The namespaces (of the repositories locked) that have no enabled webhook.
    pub fn namespaces_without_hooks(&self) -> impl Iterator<Item = i64> + '_ {
        self.without_hooks.iter().copied()
    }

    /// Makes sure each repository of `wanted` (`(name, time)`; a name may repeat, its newest
    /// time counts) exists and is marked updated at its time: the missing ones are created
    /// (and locked) one by one, the others are moved forward by the returned statements, which
    /// the caller sends with its other writes (nothing reads `updated_at` before the commit).
    pub async fn ensure(
        &mut self,
        db: &impl ConnectionTrait,
        wanted: &[(&RepositoryName, DateTime<Utc>)],
    ) -> Result<Vec<sea_orm::sea_query::UpdateStatement>, AppError> {
        use sea_orm::QueryTrait;
        let mut moved: Vec<(i64, DateTime<Utc>)> = Vec::new();
        for (name, (repository, at)) in newest_by_name(wanted.iter().copied()) {
            match self.by_name.get_mut(name) {
                Some(repo) => {
                    if repo.updated_at < at {
                        repo.updated_at = at;
                        moved.push((repo.id, at));
                    }
                }
                None => {
                    let (repo, _) = ensure(db, repository, at).await?;
                    self.by_name.insert(repo.name.clone(), repo);
                }
            }
        }
        Ok(moved
            .chunks(300)
            .map(|chunk| {
                let mut newer = CaseStatement::new();
                for (id, at) in chunk {
                    // Guarded here too: an event of the batch may have moved it meanwhile.
                    newer = newer.case(
                        repository::Column::Id
                            .eq(*id)
                            .and(repository::Column::UpdatedAt.lt(*at)),
                        Expr::value(*at),
                    );
                }
                repository::Entity::update_many()
                    .col_expr(
                        repository::Column::UpdatedAt,
                        newer.finally(Expr::col(repository::Column::UpdatedAt)).into(),
                    )
                    .filter(repository::Column::Id.is_in(chunk.iter().map(|(id, _)| *id)))
                    .into_query()
            })
            .collect())
    }
}

/// Locks the repository row until the transaction ends (PostgreSQL; SQLite transactions are
/// already serialised), so an event and a sync, or two events, on one repository apply one
/// after the other and the "newer wins" checks see each other's writes.
pub async fn lock(db: &impl ConnectionTrait, id: i64) -> Result<(), AppError> {
    use sea_orm::QuerySelect;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        repository::Entity::find_by_id(id).lock_exclusive().one(db).await?;
    }
    Ok(())
}

/// Marks the repository changed (what "recently updated" lists sort by).
pub async fn touch(db: &impl ConnectionTrait, id: i64, at: DateTime<Utc>) -> Result<(), AppError> {
    repository::Entity::update_many()
        .col_expr(repository::Column::UpdatedAt, Expr::value(at))
        .filter(repository::Column::Id.eq(id))
        .filter(repository::Column::UpdatedAt.lt(at))
        .exec(db)
        .await?;
    Ok(())
}

/// The statement counting `pulls` manifest pulls of repository `id`, the newest at `at`.
pub fn count_pulls_query(id: i64, pulls: i64, at: DateTime<Utc>) -> sea_orm::sea_query::UpdateStatement {
    use sea_orm::QueryTrait;
    repository::Entity::update_many()
        .col_expr(
            repository::Column::PullCount,
            Expr::col(repository::Column::PullCount).add(pulls),
        )
        // Out-of-order pulls must not move it backwards.
        .col_expr(
            repository::Column::LastPulledAt,
            Expr::case(
                Expr::col(repository::Column::LastPulledAt)
                    .is_null()
                    .or(Expr::col(repository::Column::LastPulledAt).lt(at)),
                Expr::value(Some(at)),
            )
            .finally(Expr::col(repository::Column::LastPulledAt))
            .into(),
        )
        .filter(repository::Column::Id.eq(id))
        .into_query()
}

/// Every repository, by name; `namespace` limits to one namespace (`""` for the global one).
pub async fn list(db: &impl ConnectionTrait, namespace_id: Option<i64>) -> Result<Vec<repository::Model>, AppError> {
    let mut q = repository::Entity::find().order_by_asc(repository::Column::Name);
    if let Some(ns) = namespace_id {
        q = q.filter(repository::Column::NamespaceId.eq(ns));
    }
    Ok(q.all(db).await?)
}

/// Removes a repository and its tags (an admin clean-up, or sync confirming it is gone).
pub async fn remove(db: &impl ConnectionTrait, id: i64) -> Result<(), AppError> {
    super::tags::remove_all_in(db, id).await?;
    repository::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// Repositories with their namespace name and tag count (`namespace` limits to one).
pub async fn rows(
    db: &impl ConnectionTrait,
    namespace_id: Option<i64>,
) -> Result<Vec<crate::domain::dto::RepositoryRow>, AppError> {
    use crate::backend::entity::namespace;
    use std::collections::HashMap;
    let repos = list(db, namespace_id).await?;
    let names: HashMap<i64, String> = namespace::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n.name))
        .collect();
    let counts = tag_counts(db, None).await?;
    Ok(repos
        .into_iter()
        .map(|r| crate::domain::dto::RepositoryRow {
            namespace: r.namespace_id.and_then(|id| names.get(&id).cloned()),
            tags: counts.get(&r.id).copied().unwrap_or(0),
            pulls: r.pull_count,
            last_pulled_at: r.last_pulled_at.map(|t| t.to_rfc3339()),
            updated_at: r.updated_at.to_rfc3339(),
            name: r.name,
        })
        .collect())
}

/// Whether `name` is a repository wharf keeps as an orphan (outside every namespace).
/// Whether any repository is an orphan.
pub async fn any_orphans(db: &impl ConnectionTrait) -> Result<bool, AppError> {
    Ok(repository::Entity::find()
        .filter(repository::Column::NamespaceId.is_null())
        .one(db)
        .await?
        .is_some())
}

pub async fn is_orphan(db: &impl ConnectionTrait, name: &str) -> Result<bool, AppError> {
    Ok(find_by_name(db, name).await?.is_some_and(|r| r.namespace_id.is_none()))
}

/// Moves the orphans named `NS/…` (or, for the global namespace, those without a slash) into
/// `ns`, and returns their names. Only [`crate::backend::orphans::adopt`] calls this.
pub async fn adopt_orphans(
    db: &impl ConnectionTrait,
    ns: &crate::backend::entity::namespace::Model,
) -> Result<Vec<String>, AppError> {
    // Compared in Rust: SQL LIKE would treat '_' in a namespace name as a wildcard.
    let prefix = format!("{}/", ns.name);
    let belongs = |name: &str| {
        if ns.name.is_empty() {
            !name.contains('/')
        } else {
            name.starts_with(&prefix)
        }
    };
    let ids: Vec<i64> = repository::Entity::find()
        .filter(repository::Column::NamespaceId.is_null())
        .all(db)
        .await?
        .into_iter()
        .filter(|r| belongs(&r.name))
        .map(|r| r.id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = repository::Entity::update_many()
        .col_expr(repository::Column::NamespaceId, Expr::value(Some(ns.id)))
        .filter(repository::Column::Id.is_in(ids))
        // Adopted by someone else meanwhile: left where it is, and not reported.
        .filter(repository::Column::NamespaceId.is_null())
        .exec_with_returning(db)
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    names.sort();
    tracing::info!(namespace = %ns.name, adopted = names.len(), "orphan repositories adopted");
    Ok(names)
}

/// What a console or API list of repositories asks for.
#[derive(Debug, Clone)]
pub struct RepositoryQuery<'a> {
    /// Only these namespaces (what the viewer may pull from); `None`: every namespace.
    pub namespace_ids: Option<&'a [i64]>,
    /// Only these repositories (e.g. the starred ones).
    pub only_ids: Option<&'a [i64]>,
    /// Part of the name.
    pub text: Option<&'a str>,
    pub sort: crate::domain::RepositorySort,
    pub page: u64,
    pub per_page: u64,
}

/// The repositories `q` asks for, all of them (filtered, not yet sorted nor paged).
fn matching(q: &RepositoryQuery<'_>) -> sea_orm::Select<repository::Entity> {
    let mut find = repository::Entity::find().filter(repository::Column::NamespaceId.is_not_null());
    if let Some(ids) = q.namespace_ids {
        find = find.filter(repository::Column::NamespaceId.is_in(ids.to_vec()));
    }
    if let Some(ids) = q.only_ids {
        find = find.filter(repository::Column::Id.is_in(ids.to_vec()));
    }
    if let Some(text) = q.text.map(str::trim).filter(|t| !t.is_empty()) {
        find = find.filter(repository::Column::Name.like(super::like_pattern(text)));
    }
    find
}

/// One page of repositories, sorted and counted in the database: counted up to
/// [`COUNT_CAP`](crate::domain::dto::COUNT_CAP) (or as far as the page asked for), past which
/// the page says "at least" (`total_capped`). The count is what a list costs most on a large
/// catalog, and more on PostgreSQL, where every push and pull leaves a dead row version behind.
pub async fn page(
    db: &impl ConnectionTrait,
    q: &RepositoryQuery<'_>,
    viewer_id: Option<i64>,
) -> Result<crate::domain::dto::Page<crate::domain::dto::RepositoryListItem>, AppError> {
    use sea_orm::{QuerySelect, QueryTrait};
    let items = items(db, q, viewer_id).await?;
    let shown = items.len() as u64;
    // A page that is not full is the last: the total follows without counting.
    let (total, total_capped) = if shown > 0 && shown < q.per_page {
        ((q.page - 1) * q.per_page + shown, false)
    } else {
        let ids = matching(q).select_only().column(repository::Column::Id).into_query();
        super::count_capped(db, ids, q.page, q.per_page).await?
    };
    Ok(crate::domain::dto::Page {
        items,
        total,
        page: q.page,
        per_page: q.per_page,
        total_capped,
    })
}

/// The items of one page of repositories, without counting them all (what the dashboard and
/// search show: the first few, with no total).
pub async fn items(
    db: &impl ConnectionTrait,
    q: &RepositoryQuery<'_>,
    viewer_id: Option<i64>,
) -> Result<Vec<crate::domain::dto::RepositoryListItem>, AppError> {
    use crate::backend::entity::namespace;
    use crate::domain::RepositorySort;
    use sea_orm::QuerySelect;
    use std::collections::HashMap;

    let mut find = matching(q);
    find = match q.sort {
        RepositorySort::Name => find.order_by_asc(repository::Column::Name),
        RepositorySort::Updated => find
            .order_by_desc(repository::Column::UpdatedAt)
            .order_by_asc(repository::Column::Name),
        RepositorySort::Pulls => find
            .order_by_desc(repository::Column::PullCount)
            .order_by_asc(repository::Column::Name),
    };
    let rows = find.offset((q.page - 1) * q.per_page).limit(q.per_page).all(db).await?;

    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let counts = tag_counts(db, Some(&ids)).await?;
    let ns_ids: Vec<i64> = rows.iter().filter_map(|r| r.namespace_id).collect();
    let ns_names: HashMap<i64, String> = namespace::Entity::find()
        .filter(namespace::Column::Id.is_in(ns_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n.name))
        .collect();
    let starred = super::stars::starred_among(db, viewer_id, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| crate::domain::dto::RepositoryListItem {
            id: r.id,
            namespace: r
                .namespace_id
                .and_then(|n| ns_names.get(&n).cloned())
                .unwrap_or_default(),
            tag_count: counts.get(&r.id).copied().unwrap_or(0),
            pulls: r.pull_count,
            starred: starred.contains(&r.id),
            updated_at: r.updated_at.to_rfc3339(),
            full_name: r.name,
        })
        .collect())
}

/// Changes a repository's (markdown) description.
pub async fn set_description(
    db: &impl ConnectionTrait,
    repo: repository::Model,
    description: &str,
) -> Result<repository::Model, AppError> {
    if description.len() > super::namespaces::MAX_DESCRIPTION {
        return Err(AppError::BadRequest(format!(
            "descriptions are limited to {} bytes",
            super::namespaces::MAX_DESCRIPTION
        )));
    }
    let mut am: repository::ActiveModel = repo.into();
    am.description = Set(description.to_owned());
    Ok(am.update(db).await?)
}

/// Repositories whose namespace wharf does not know, by name.
pub async fn orphans(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<crate::domain::dto::OrphanRow>, AppError> {
    use sea_orm::QuerySelect;
    let rows = repository::Entity::find()
        .filter(repository::Column::NamespaceId.is_null())
        .order_by_asc(repository::Column::Name)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let counts = tag_counts(db, Some(&ids)).await?;
    Ok(rows
        .into_iter()
        .map(|r| crate::domain::dto::OrphanRow {
            id: r.id,
            tags: counts.get(&r.id).copied().unwrap_or(0),
            updated_at: r.updated_at.to_rfc3339(),
            name: r.name,
        })
        .collect())
}

/// How many tags each of these repositories (`None`: every repository) has, counted by the
/// database in one grouped query.
async fn tag_counts(
    db: &impl ConnectionTrait,
    repository_ids: Option<&[i64]>,
) -> Result<std::collections::HashMap<i64, u64>, AppError> {
    use crate::backend::entity::tag;
    use sea_orm::QuerySelect;
    if let Some(ids) = repository_ids {
        // One index lookup per repository, whatever the planner's statistics say: as a grouped
        // `IN` query, PostgreSQL without fresh statistics scanned all million tags (75 ms).
        return Ok(repository::Entity::find()
            .select_only()
            .column(repository::Column::Id)
            .column_as(
                Expr::cust("(SELECT COUNT(*) FROM tags WHERE tags.repository_id = repositories.id)"),
                "n",
            )
            .filter(repository::Column::Id.is_in(ids.to_vec()))
            .into_tuple::<(i64, i64)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
            .collect());
    }
    let query = tag::Entity::find()
        .select_only()
        .column(tag::Column::RepositoryId)
        .column_as(Expr::col(tag::Column::Id).count(), "n");
    Ok(query
        .group_by(tag::Column::RepositoryId)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::entity::webhook;
    use crate::backend::store::test_db::memory_db;
    use crate::domain::Visibility;

    /// Past 10,000 repositories a list says "at least" and keeps a next page; a page that asks
    /// for more is counted as far as it reaches, exactly once the list ends before; a page that
    /// is not full counts nothing.
    #[tokio::test]
    async fn lists_count_up_to_the_cap() {
        use crate::domain::dto::COUNT_CAP;
        use crate::domain::RepositorySort;
        let db = memory_db().await;
        let global = namespaces::ensure_global(&db, Visibility::Public).await.unwrap();
        let total = COUNT_CAP + 30;
        let now = Utc::now();
        for start in (0..total).step_by(1000) {
            let rows = (start..std::cmp::min(start + 1000, total)).map(|i| repository::ActiveModel {
                namespace_id: Set(Some(global.id)),
                name: Set(format!("app{i:05}")),
                description: Set(String::new()),
                created_at: Set(now),
                updated_at: Set(now),
                pull_count: Set(0),
                last_pulled_at: Set(None),
                ..Default::default()
            });
            repository::Entity::insert_many(rows).exec(&db).await.unwrap();
        }
        let ids = [global.id];
        let query = |page, per_page| RepositoryQuery {
            namespace_ids: Some(&ids),
            only_ids: None,
            text: None,
            sort: RepositorySort::Name,
            page,
            per_page,
        };
        let first = page(&db, &query(1, 25), None).await.unwrap();
        assert_eq!((first.total, first.total_capped), (COUNT_CAP, true));
        assert!(first.has_next());
        assert_eq!(first.items[0].full_name, "app00000");
        // The page before the last reaches past the cap: counted as far as it reaches.
        let near_end = page(&db, &query(total / 25, 25), None).await.unwrap();
        assert_eq!((near_end.total, near_end.total_capped), (total / 25 * 25, true));
        assert_eq!(near_end.items.len(), 25);
        assert!(near_end.has_next());
        let last = page(&db, &query(total / 25 + 1, 25), None).await.unwrap();
        assert_eq!((last.total, last.total_capped, last.items.len()), (total, false, 5));
        assert!(!last.has_next());
        assert_eq!(last.items[4].full_name, format!("app{:05}", total - 1));
        // Under the cap the count is exact, as before.
        let filtered = RepositoryQuery {
            text: Some("app0000"),
            ..query(1, 5)
        };
        let few = page(&db, &filtered, None).await.unwrap();
        assert_eq!((few.total, few.total_capped, few.items.len()), (10, false, 5));
    }

    /// The statement that locks the repositories also says whose namespace has no enabled
    /// webhook, so ingest skips the webhook query for them.
    #[tokio::test]
    async fn locking_says_which_namespaces_have_no_enabled_webhook() {
        let db = memory_db().await;
        let global = namespaces::ensure_global(&db, Visibility::Public).await.unwrap();
        let name = RepositoryName::try_from("app".to_owned()).unwrap();
        let names = BTreeSet::from(["app"]);
        let without = || async {
            let locked = LockedRepositories::lock(&db, &names).await.unwrap();
            locked.namespaces_without_hooks().collect::<HashSet<i64>>()
        };
        let mut locked = LockedRepositories::lock(&db, &names).await.unwrap();
        assert!(locked.ensure(&db, &[(&name, Utc::now())]).await.unwrap().is_empty());
        assert_eq!(locked.get("app").unwrap().namespace_id, Some(global.id));
        assert!(
            locked.namespaces_without_hooks().next().is_none(),
            "a repository just created says nothing: its hooks are looked up"
        );
        assert_eq!(without().await, HashSet::from([global.id]));

        let now = Utc::now();
        let hook = webhook::ActiveModel {
            namespace_id: Set(global.id),
            url: Set("http://127.0.0.1:9/hook".into()),
            events: Set("push".into()),
            enabled: Set(true),
            secret_sealed: Set(None),
            headers_sealed: Set(None),
            header_names: Set(String::new()),
            created_by: Set("admin".into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&db)
        .await
        .unwrap();
        assert!(without().await.is_empty(), "an enabled hook");

        let mut disabled: webhook::ActiveModel = hook.into();
        disabled.enabled = Set(false);
        disabled.update(&db).await.unwrap();
        assert_eq!(
            without().await,
            HashSet::from([global.id]),
            "a disabled hook sends nothing"
        );
    }
}
