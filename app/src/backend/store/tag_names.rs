//! The distinct names tags have: what tag search matches its text against, so that it reads
//! only the tags so named instead of every tag (a million, at the scale wharf aims for).
//! Catalogs repeat a few names (`latest`, `v1`, `main`) across many repositories, so this
//! table is small. A name is added in the transaction that writes a tag with it (see
//! [`remember`]); names whose tags were all deleted stay, and only cost a lookup that finds no
//! tag.

use sea_orm::sea_query::{InsertStatement, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set};

use crate::backend::entity::tag_name;
use crate::domain::AppError;

/// Names per statement: one bound value each, far inside both databases' limits.
const CHUNK: usize = 500;

/// The statements that add `names` (those not known yet). Sorted and deduplicated: on
/// PostgreSQL a transaction adding a new name waits for another adding the same one, and two
/// transactions that add their names in one order cannot wait for each other in a circle.
pub fn remember<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<InsertStatement> {
    let names: std::collections::BTreeSet<&str> = names.into_iter().collect();
    let names: Vec<&str> = names.into_iter().collect();
    names
        .chunks(CHUNK)
        .map(|chunk| {
            tag_name::Entity::insert_many(chunk.iter().map(|n| tag_name::ActiveModel {
                name: Set((*n).to_owned()),
            }))
            .on_conflict(OnConflict::column(tag_name::Column::Name).do_nothing().to_owned())
            .into_query()
        })
        .collect()
}

/// Sends [`remember`]'s statements.
pub async fn add<'a>(db: &impl ConnectionTrait, names: impl IntoIterator<Item = &'a str>) -> Result<(), AppError> {
    for insert in remember(names) {
        db.execute(&insert).await?;
    }
    Ok(())
}

/// Known names that contain `text` (lower-cased, as tag search compares), at most `limit`.
pub async fn matching(db: &impl ConnectionTrait, text: &str, limit: u64) -> Result<Vec<String>, AppError> {
    Ok(tag_name::Entity::find()
        .select_only()
        .column(tag_name::Column::Name)
        .filter(containing(text))
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// The condition "a known name containing `text`", for a subquery.
pub fn containing(text: &str) -> sea_orm::sea_query::SimpleExpr {
    tag_name::Column::Name.like(super::like_pattern(text))
}

/// The subquery of every known name containing `text` (when there are too many to list).
pub fn containing_subquery(text: &str) -> sea_orm::sea_query::SelectStatement {
    tag_name::Entity::find()
        .select_only()
        .column(tag_name::Column::Name)
        .filter(containing(text))
        .into_query()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::store::test_db::memory_db;

    #[tokio::test]
    async fn names_are_added_once_and_found_by_part() {
        let db = memory_db().await;
        add(&db, ["v1", "latest", "v1", "v10"]).await.unwrap();
        add(&db, ["latest", "main"]).await.unwrap();
        let mut all = matching(&db, "", 100).await.unwrap();
        all.sort();
        assert_eq!(all, ["latest", "main", "v1", "v10"]);
        let mut ones = matching(&db, "1", 100).await.unwrap();
        ones.sort();
        assert_eq!(ones, ["v1", "v10"]);
        assert_eq!(matching(&db, "1", 1).await.unwrap().len(), 1, "at most the limit");
        assert!(
            matching(&db, "_", 10).await.unwrap().is_empty(),
            "LIKE wildcards are literal"
        );
    }

    #[test]
    fn statements_come_sorted_and_chunked() {
        let names: Vec<String> = (0..1200).rev().map(|i| format!("t{i:04}")).collect();
        let queries = remember(names.iter().map(String::as_str));
        assert_eq!(queries.len(), 3);
        let sql = queries[0].to_string(sea_orm::sea_query::SqliteQueryBuilder);
        let first = sql.find("'t0000'").unwrap();
        let second = sql.find("'t0001'").unwrap();
        assert!(first < second, "names go in sorted order");
    }
}
