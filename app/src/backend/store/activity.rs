//! The audit log.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::backend::entity::activity;
use crate::domain::AppError;

/// One audit entry.
#[derive(Debug, Default, Clone)]
pub struct NewActivity<'a> {
    pub actor_user_id: Option<i64>,
    pub actor_name: &'a str,
    pub kind: &'a str,
    pub namespace_id: Option<i64>,
    pub target: &'a str,
    pub details: &'a str,
    pub client_addr: Option<&'a str>,
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

pub async fn record(db: &impl ConnectionTrait, a: NewActivity<'_>) -> Result<(), AppError> {
    row(a).insert(db).await?;
    Ok(())
}

/// Writes many entries in one statement (notification ingest collects a batch's entries).
pub async fn record_many(db: &impl ConnectionTrait, rows: Vec<activity::ActiveModel>) -> Result<(), AppError> {
    if let Some(insert) = record_many_query(rows) {
        db.execute(&insert).await?;
    }
    Ok(())
}

/// The statement of [`record_many`] (none for no rows), for a caller that sends it with others
/// (`write_batch`).
pub fn record_many_query(rows: Vec<activity::ActiveModel>) -> Option<sea_orm::sea_query::InsertStatement> {
    use sea_orm::{EntityTrait, QueryTrait};
    (!rows.is_empty()).then(|| activity::Entity::insert_many(rows).into_query())
}

/// The row an entry becomes, stamped now.
pub fn row(a: NewActivity<'_>) -> activity::ActiveModel {
    activity::ActiveModel {
        created_at: Set(Utc::now()),
        actor_user_id: Set(a.actor_user_id),
        actor_name: Set(clip(a.actor_name, 64)),
        kind: Set(a.kind.to_owned()),
        namespace_id: Set(a.namespace_id),
        target: Set(clip(a.target, 255)),
        details: Set(clip(a.details, 2000)),
        client_addr: Set(a.client_addr.map(|s| clip(s, 64))),
        ..Default::default()
    }
}

/// Records a failed sign-in; a failure to write the log is logged, not returned, so it never
/// changes the answer the client gets.
pub async fn record_login_failure(
    db: &impl ConnectionTrait,
    user_id: Option<i64>,
    name: &str,
    reason: &str,
    client_addr: Option<&str>,
) {
    let entry = NewActivity {
        actor_user_id: user_id,
        actor_name: name,
        kind: "login.failed",
        target: name,
        details: reason,
        client_addr,
        ..Default::default()
    };
    if let Err(e) = record(db, entry).await {
        tracing::warn!(error = %e.detailed(), "recording a failed login");
    }
}

/// Whose client addresses a reader of the log sees. An address says where a person was, so
/// only administrators see every one; anyone else sees the addresses of what they did
/// themselves, and none of what others did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressView {
    /// No addresses (the default, so a reader nobody thought about sees none).
    #[default]
    None,
    /// The addresses of entries this user made.
    OwnOf(i64),
    /// Every address: administrators, and the operator at the command line.
    All,
}

impl AddressView {
    /// What a reader sees: everything for an administrator, their own entries otherwise.
    pub fn for_reader(admin: bool, user_id: Option<i64>) -> Self {
        match (admin, user_id) {
            (true, _) => AddressView::All,
            (false, Some(id)) => AddressView::OwnOf(id),
            (false, None) => AddressView::None,
        }
    }

    fn shows(self, actor_user_id: Option<i64>) -> bool {
        match self {
            AddressView::All => true,
            AddressView::OwnOf(id) => actor_user_id == Some(id),
            AddressView::None => false,
        }
    }
}

/// What an activity list asks for.
#[derive(Debug, Clone, Default)]
pub struct ActivityQuery<'a> {
    /// Only entries about these namespaces (what a non-admin may see); `None`: everything.
    pub visible_namespaces: Option<&'a [i64]>,
    pub actor: Option<&'a str>,
    pub namespace_id: Option<i64>,
    /// Exact kind, or a prefix ending in `.` (`image.`).
    pub kind: Option<&'a str>,
    pub from: Option<chrono::DateTime<Utc>>,
    /// Exclusive.
    pub until: Option<chrono::DateTime<Utc>>,
    /// Which client addresses the reader sees.
    pub addresses: AddressView,
}

fn filtered(q: &ActivityQuery<'_>) -> sea_orm::Select<activity::Entity> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let mut find = activity::Entity::find().order_by_desc(activity::Column::Id);
    if let Some(ids) = q.visible_namespaces {
        find = find.filter(activity::Column::NamespaceId.is_in(ids.to_vec()));
    }
    if let Some(a) = q.actor {
        find = find.filter(activity::Column::ActorName.eq(a));
    }
    if let Some(ns) = q.namespace_id {
        find = find.filter(activity::Column::NamespaceId.eq(ns));
    }
    if let Some(k) = q.kind {
        find = match k.strip_suffix('.') {
            Some(prefix) => find.filter(activity::Column::Kind.like(
                sea_orm::sea_query::LikeExpr::new(format!("{}.%", prefix.replace(['%', '_', '\\'], ""))).escape('\\'),
            )),
            None => find.filter(activity::Column::Kind.eq(k)),
        };
    }
    if let Some(from) = q.from {
        find = find.filter(activity::Column::CreatedAt.gte(from));
    }
    if let Some(until) = q.until {
        find = find.filter(activity::Column::CreatedAt.lt(until));
    }
    find
}

fn to_row(a: activity::Model, addresses: AddressView) -> crate::domain::dto::ActivityRow {
    let client_addr = a.client_addr.filter(|_| addresses.shows(a.actor_user_id));
    crate::domain::dto::ActivityRow {
        id: a.id,
        at: a.created_at.to_rfc3339(),
        actor: a.actor_name,
        kind: a.kind,
        target: a.target,
        details: a.details,
        client_addr,
    }
}

/// Every kind of entry the log holds, sorted (for the kind filter). A million entries hold a
/// dozen kinds: each is found by one step along the kind index from the one before (a
/// recursive query), instead of reading every entry as `SELECT DISTINCT` would.
pub async fn kinds(db: &impl ConnectionTrait) -> Result<Vec<String>, AppError> {
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "WITH RECURSIVE k(kind) AS ( \
               SELECT MIN(kind) FROM activities \
               UNION ALL \
               SELECT (SELECT MIN(a.kind) FROM activities a WHERE a.kind > k.kind) FROM k WHERE k.kind IS NOT NULL \
             ) SELECT kind FROM k WHERE kind IS NOT NULL",
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get::<String>("", "kind"))
        .collect::<Result<_, _>>()?)
}

/// One page of the log, newest first. The entries are counted up to
/// [`COUNT_CAP`](crate::domain::dto::COUNT_CAP) (and as far as the page asked for): the log
/// grows by one entry per push, and counting a million of them costs more than reading the
/// page.
pub async fn page(
    db: &impl ConnectionTrait,
    q: &ActivityQuery<'_>,
    page: u64,
    per_page: u64,
) -> Result<crate::domain::dto::Page<crate::domain::dto::ActivityRow>, AppError> {
    use sea_orm::{QuerySelect, QueryTrait};
    let ids = filtered(q).select_only().column(activity::Column::Id).into_query();
    let (total, total_capped) = super::count_capped(db, ids, page, per_page).await?;
    let items = filtered(q)
        .offset((page - 1) * per_page)
        .limit(per_page)
        .all(db)
        .await?
        .into_iter()
        .map(|a| to_row(a, q.addresses))
        .collect();
    Ok(crate::domain::dto::Page {
        items,
        total,
        page,
        per_page,
        total_capped,
    })
}

/// The newest `limit` entries, not counting the rest (an export, the dashboard).
pub async fn newest(
    db: &impl ConnectionTrait,
    q: &ActivityQuery<'_>,
    limit: u64,
) -> Result<Vec<crate::domain::dto::ActivityRow>, AppError> {
    use sea_orm::QuerySelect;
    Ok(filtered(q)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|a| to_row(a, q.addresses))
        .collect())
}

/// Leading characters that make a spreadsheet read a cell as a formula. Tab and carriage
/// return count too: some spreadsheets drop them and read on (OWASP's CSV injection list).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The log as CSV (RFC 4180 quoting; cells that a spreadsheet would run as a formula are
/// prefixed with `'`).
pub fn to_csv(rows: &[crate::domain::dto::ActivityRow]) -> String {
    fn cell(s: &str) -> String {
        let s = if s.starts_with(FORMULA_STARTS) {
            format!("'{s}")
        } else {
            s.to_owned()
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    }
    let mut out = String::from("id,at,actor,kind,target,details,client_addr\r\n");
    for r in rows {
        let cells = [
            r.id.to_string(),
            r.at.clone(),
            r.actor.clone(),
            r.kind.clone(),
            r.target.clone(),
            r.details.clone(),
            r.client_addr.clone().unwrap_or_default(),
        ];
        out.push_str(&cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::domain::dto::ActivityRow;

    /// Past 10,000 entries the log says "at least" (and keeps a next page); a page that asks
    /// for more is counted as far as it reaches, exactly when the log ends before.
    #[tokio::test]
    async fn the_log_counts_up_to_the_cap() {
        use crate::domain::dto::COUNT_CAP;
        let db = crate::backend::store::test_db::memory_db().await;
        let entries = COUNT_CAP + 50;
        for start in (0..entries).step_by(1000) {
            let rows = (start..std::cmp::min(start + 1000, entries))
                .map(|_| {
                    super::row(super::NewActivity {
                        actor_name: "alice",
                        kind: "image.pushed",
                        ..Default::default()
                    })
                })
                .collect();
            super::record_many(&db, rows).await.unwrap();
        }
        let q = super::ActivityQuery::default();
        let first = super::page(&db, &q, 1, 50).await.unwrap();
        assert_eq!(
            (first.total, first.total_capped, first.items.len()),
            (COUNT_CAP, true, 50)
        );
        assert!(first.has_next());
        let last = entries / 50;
        let end = super::page(&db, &q, last, 50).await.unwrap();
        assert_eq!((end.total, end.total_capped, end.items.len()), (entries, false, 50));
        assert!(!end.has_next(), "the last page");
        assert_eq!(
            end.items.last().unwrap().id,
            first.items[0].id - i64::try_from(entries).unwrap() + 1,
            "the oldest entry"
        );
    }

    /// Each kind once, sorted, however many entries have it; none for an empty log.
    #[tokio::test]
    async fn kinds_are_listed_once_each_in_order() {
        let db = crate::backend::store::test_db::memory_db().await;
        assert!(super::kinds(&db).await.unwrap().is_empty());
        let kinds = [
            "user.created",
            "image.pushed",
            "image.pushed",
            "image.deleted",
            "image.pushed",
            "team.created",
        ];
        let rows = kinds
            .iter()
            .map(|kind| {
                super::row(super::NewActivity {
                    actor_name: "alice",
                    kind,
                    ..Default::default()
                })
            })
            .collect();
        super::record_many(&db, rows).await.unwrap();
        assert_eq!(
            super::kinds(&db).await.unwrap(),
            ["image.deleted", "image.pushed", "team.created", "user.created"]
        );
    }

    #[test]
    fn addresses_show_to_admins_and_to_whoever_acted() {
        use super::AddressView;
        let entry = |actor_user_id| crate::backend::entity::activity::Model {
            id: 1,
            created_at: chrono::Utc::now(),
            actor_user_id,
            actor_name: "alice".into(),
            kind: "namespace.updated".into(),
            namespace_id: Some(1),
            target: "devs".into(),
            details: String::new(),
            client_addr: Some("192.0.2.7".into()),
        };
        let addr = |view, actor| super::to_row(entry(actor), view).client_addr;
        let alice = Some(7);
        assert_eq!(
            addr(AddressView::for_reader(true, Some(1)), alice).as_deref(),
            Some("192.0.2.7")
        );
        assert_eq!(
            addr(AddressView::for_reader(false, alice), alice).as_deref(),
            Some("192.0.2.7")
        );
        assert_eq!(
            addr(AddressView::for_reader(false, Some(8)), alice),
            None,
            "another user"
        );
        assert_eq!(addr(AddressView::for_reader(false, None), alice), None, "anonymous");
        // Entries without a user (registry events, unknown names) are the admins' alone.
        assert_eq!(addr(AddressView::for_reader(false, Some(8)), None), None);
        assert_eq!(addr(AddressView::default(), alice), None);
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let row = ActivityRow {
            id: 3,
            at: "2026-12-01T00:00:00+00:00".into(),
            actor: "alice".into(),
            kind: "image.pushed".into(),
            target: "=HYPERLINK(\"x\")".into(),
            details: "a, \"b\"\nc".into(),
            client_addr: None,
        };
        let csv = super::to_csv(&[row]);
        let mut lines = csv.split("\r\n");
        assert_eq!(lines.next(), Some("id,at,actor,kind,target,details,client_addr"));
        assert_eq!(
            lines.next(),
            Some("3,2026-12-01T00:00:00+00:00,alice,image.pushed,\"'=HYPERLINK(\"\"x\"\")\",\"a, \"\"b\"\"\nc\",")
        );
    }

    #[test]
    fn csv_defuses_cells_starting_with_tab_or_carriage_return() {
        let row = ActivityRow {
            id: 4,
            at: "2026-12-01T00:00:00+00:00".into(),
            actor: "\t=1+1".into(),
            kind: "login.failed".into(),
            target: "\r=cmd|' /C calc'!A0".into(),
            details: "+1".into(),
            client_addr: Some("@x".into()),
        };
        let csv = super::to_csv(&[row]);
        let line = csv.split_once("\r\n").map(|(_, rest)| rest).unwrap_or_default();
        // Every cell starts with the defusing quote; a carriage return forces RFC 4180 quoting.
        assert_eq!(
            line,
            "4,2026-12-01T00:00:00+00:00,'\t=1+1,login.failed,\"'\r=cmd|' /C calc'!A0\",'+1,'@x\r\n"
        );
    }
}
