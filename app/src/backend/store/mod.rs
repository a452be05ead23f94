//! Queries, one module per aggregate. Functions take any connection or transaction.

pub mod activity;
pub mod auth_changes;
pub mod image_rows;
pub mod images;
pub mod namespaces;
pub mod registries;
pub mod repositories;
pub mod retention;
pub mod stars;
pub mod sync_runs;
pub mod tag_names;
pub mod tags;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod write_batch;

#[cfg(test)]
pub(crate) mod test_db;

/// Counts the rows `ids` selects for a list showing `page` (1-based) of `per_page`, up to
/// [`COUNT_CAP`](crate::domain::dto::COUNT_CAP) or as far as that page reaches, whichever is
/// more: `(total, capped)`, where `capped` says there are more than `total`. `ids` selects one
/// column (the id); counting every row of a catalog of 100,000 repositories or a million log
/// entries costs more than reading the page shown.
pub async fn count_capped(
    db: &impl sea_orm::ConnectionTrait,
    mut ids: sea_orm::sea_query::SelectStatement,
    page: u64,
    per_page: u64,
) -> Result<(u64, bool), crate::domain::AppError> {
    use sea_orm::sea_query::{Expr, SelectStatement};
    let cap = std::cmp::max(crate::domain::dto::COUNT_CAP, page.saturating_mul(per_page));
    ids.limit(cap.saturating_add(1));
    let count = SelectStatement::new()
        .expr(Expr::cust("COUNT(*) AS n"))
        .from_subquery(ids, "capped")
        .to_owned();
    let counted = match db.query_one(&count).await? {
        Some(row) => u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0),
        None => 0,
    };
    Ok((counted.min(cap), counted > cap))
}

/// A LIKE pattern matching `text` anywhere (lower-cased: names are lower case), with `%`, `_`
/// and `\` taken literally.
pub fn like_pattern(text: &str) -> sea_orm::sea_query::LikeExpr {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    sea_orm::sea_query::LikeExpr::new(p).escape('\\')
}
