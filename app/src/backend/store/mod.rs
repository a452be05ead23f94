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
