//! The repository page's rows: one per image (manifest digest) with every tag on it, so tags
//! pushed together read as the one image they are, and deleting one visibly takes the others.
//! Accessory tags (cosign's `sha256-<hex>.sig` and kin) stay out unless asked for.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::backend::entity::tag;
use crate::domain::dto::{ImageRow, Page};
use crate::domain::image::accessory_tag;
use crate::domain::{AppError, TagSort};

/// Which images, in what order.
#[derive(Debug, Clone)]
pub struct ImageQuery<'a> {
    pub repository_id: i64,
    pub sort: TagSort,
    /// Part of a tag name, or a digest prefix (7+ hex digits).
    pub text: Option<&'a str>,
    /// Include accessory tags (signatures, attestations, SBOMs tagged cosign's way).
    pub with_accessories: bool,
    pub page: u64,
    pub per_page: u64,
}

impl<'a> ImageQuery<'a> {
    /// The query a listing asks for (newest first, 50 a page, accessories hidden by default).
    pub fn of(repository_id: i64, listing: &'a crate::domain::dto::TagListing) -> Result<ImageQuery<'a>, AppError> {
        let (page, per_page) = crate::domain::page_request(listing.page, listing.per_page, 50)?;
        Ok(ImageQuery {
            repository_id,
            sort: listing.sort.unwrap_or(TagSort::Pushed),
            text: listing.q.as_deref(),
            with_accessories: listing.accessories.unwrap_or(false),
            page,
            per_page,
        })
    }
}

/// Tags named the way cosign names accessories: `sha256-` and 64 hex digits, then `.sig`,
/// `.att`, `.sbom`, or nothing (the OCI referrers fallback index). The length narrows it enough
/// in SQL; [`accessory_tag`] decides exactly.
pub fn accessory_tag_names() -> Condition {
    let length = Expr::from(Func::cust("LENGTH").arg(Expr::col((tag::Entity, tag::Column::Name))));
    Condition::all()
        .add(tag::Column::Name.starts_with("sha256-"))
        .add(length.is_in([71, 75, 76]))
}

/// Tags of the repository matching the query's filters (not yet grouped).
fn matching(q: &ImageQuery<'_>) -> sea_orm::Select<tag::Entity> {
    let mut find = tag::Entity::find().filter(tag::Column::RepositoryId.eq(q.repository_id));
    if let Some(t) = q.text.map(str::trim).filter(|t| !t.is_empty()) {
        let mut matches = Condition::any().add(tag::Column::Name.like(super::like_pattern(t)));
        if let Some(prefix) = crate::domain::image::digest_prefix(t) {
            matches = matches.add(tag::Column::Digest.starts_with(prefix));
        }
        find = find.filter(matches);
    }
    if !q.with_accessories {
        find = find.filter(accessory_tag_names().not());
    }
    find
}

/// One page of images, each with all its tags.
pub async fn page(db: &impl ConnectionTrait, q: &ImageQuery<'_>) -> Result<Page<ImageRow>, AppError> {
    let grouped = matching(q)
        .select_only()
        .column(tag::Column::Digest)
        .group_by(tag::Column::Digest);
    let total = grouped.clone().count(db).await?;
    let name = || Expr::col((tag::Entity, tag::Column::Name));
    let ordered = match q.sort {
        TagSort::Pushed => grouped.order_by(Expr::col((tag::Entity, tag::Column::PushedAt)).max(), Order::Desc),
        TagSort::Name => grouped.order_by(name().min(), Order::Asc),
        TagSort::Pulls => grouped.order_by(Expr::col((tag::Entity, tag::Column::PullCount)).sum(), Order::Desc),
        TagSort::Size => grouped.order_by(Expr::col((tag::Entity, tag::Column::Size)).max(), Order::Desc),
    };
    let digests: Vec<String> = ordered
        .order_by(name().min(), Order::Asc)
        .order_by_asc(tag::Column::Digest)
        .offset((q.page - 1) * q.per_page)
        .limit(q.per_page)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_digest: HashMap<String, Vec<tag::Model>> = HashMap::new();
    for t in tag::Entity::find()
        .filter(tag::Column::RepositoryId.eq(q.repository_id))
        .filter(tag::Column::Digest.is_in(digests.clone()))
        .order_by_asc(tag::Column::Name)
        .all(db)
        .await?
    {
        by_digest.entry(t.digest.clone()).or_default().push(t);
    }
    let items = digests
        .into_iter()
        .filter_map(|d| by_digest.remove(&d))
        .filter_map(|tags| row(tags, q.with_accessories))
        .collect();
    Ok(Page {
        items,
        total,
        page: q.page,
        per_page: q.per_page,
        total_capped: false,
    })
}

/// One image's row from its tags (sorted by name); `None` without any.
fn row(tags: Vec<tag::Model>, with_accessories: bool) -> Option<ImageRow> {
    let newest = tags.iter().max_by_key(|t| t.pushed_at)?;
    let accessory_of = tags
        .iter()
        .find_map(|t| accessory_tag(&t.name))
        .map(|(subject, _)| subject);
    Some(ImageRow {
        digest: newest.digest.clone(),
        media_type: newest.media_type.clone(),
        size: tags.iter().map(|t| t.size).max().unwrap_or(0),
        pushed_by: newest.pushed_by.clone(),
        pushed_at: newest.pushed_at.to_rfc3339(),
        pulls: tags.iter().map(|t| t.pull_count).sum(),
        last_pulled_at: tags
            .iter()
            .filter_map(|t| t.last_pulled_at)
            .max()
            .map(|t| t.to_rfc3339()),
        attached: Vec::new(),
        accessory_of: accessory_of.filter(|_| with_accessories),
        tags: tags
            .into_iter()
            .filter(|t| with_accessories || accessory_tag(&t.name).is_none())
            .map(|t| t.name)
            .collect(),
    })
}

/// How many tags the repository has, and how many of them are accessory tags.
pub async fn tag_counts(db: &impl ConnectionTrait, repository_id: i64) -> Result<(u64, u64), AppError> {
    let all = tag::Entity::find().filter(tag::Column::RepositoryId.eq(repository_id));
    let total = all.clone().count(db).await?;
    let accessories = all.filter(accessory_tag_names()).count(db).await?;
    Ok((total, accessories))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::store::tags::{insert_new, TagPush};
    use crate::backend::store::test_db::memory_db;
    use crate::backend::store::{repositories, tags};
    use crate::domain::RepositoryName;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const SIG: &str = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    async fn push(db: &impl ConnectionTrait, repo: i64, tag: &str, digest: &str, second: u32, size: i64) {
        let at = format!("2026-11-28T10:00:{second:02}Z").parse().unwrap();
        assert!(insert_new(
            db,
            &TagPush {
                repository_id: repo,
                tag,
                digest,
                media_type: "application/vnd.oci.image.manifest.v1+json",
                size,
                pushed_by: Some("alice"),
                at,
            },
        )
        .await
        .unwrap());
    }

    fn query(repository_id: i64) -> ImageQuery<'static> {
        ImageQuery {
            repository_id,
            sort: TagSort::Pushed,
            text: None,
            with_accessories: false,
            page: 1,
            per_page: 10,
        }
    }

    #[tokio::test]
    async fn images_group_their_tags_and_hide_accessory_tags() {
        let db = memory_db().await;
        let name = RepositoryName::try_from("devs/app").unwrap();
        let at = "2026-11-28T10:00:00Z".parse().unwrap();
        let repo = repositories::ensure(&db, &name, at).await.unwrap().0.id;
        push(&db, repo, "v1", A, 1, 100).await;
        push(&db, repo, "latest", B, 3, 300).await;
        push(&db, repo, "v2", B, 2, 300).await;
        let cosign = format!("sha256-{}.sig", A.trim_start_matches("sha256:"));
        push(&db, repo, &cosign, SIG, 4, 10).await;
        tags::count_pull(&db, repo, Some("v2"), Some(B), "2026-11-28T11:00:00Z".parse().unwrap())
            .await
            .unwrap();

        let page = page(&db, &query(repo)).await.unwrap();
        assert_eq!(page.total, 2, "the signature tag is hidden");
        let rows: Vec<(&str, Vec<String>)> = page.items.iter().map(|r| (r.digest.as_str(), r.tags.clone())).collect();
        assert_eq!(rows, [(B, vec!["latest".into(), "v2".into()]), (A, vec!["v1".into()])]);
        assert_eq!(page.items[0].pulls, 1);
        assert_eq!(page.items[0].size, 300);
        assert!(page.items[0].accessory_of.is_none());

        let all = super::page(
            &db,
            &ImageQuery {
                with_accessories: true,
                ..query(repo)
            },
        )
        .await
        .unwrap();
        assert_eq!(all.total, 3);
        assert_eq!(all.items[0].digest, SIG, "newest first");
        assert_eq!(all.items[0].accessory_of.as_deref(), Some(A));
        assert_eq!(tag_counts(&db, repo).await.unwrap(), (4, 1));

        // Sorted by name (an image by its first tag), filtered by name or digest prefix, paged.
        let by_name = super::page(
            &db,
            &ImageQuery {
                sort: TagSort::Name,
                ..query(repo)
            },
        )
        .await
        .unwrap();
        assert_eq!(by_name.items[0].digest, B, "'latest' sorts before 'v1'");
        for (text, digest) in [("v1", A), ("bbbbbbb", B), ("sha256:aaaaaaa", A)] {
            let found = super::page(
                &db,
                &ImageQuery {
                    text: Some(text),
                    ..query(repo)
                },
            )
            .await
            .unwrap();
            assert_eq!(found.items.len(), 1, "{text}");
            assert_eq!(found.items[0].digest, digest, "{text}");
        }
        let second = super::page(
            &db,
            &ImageQuery {
                page: 2,
                per_page: 1,
                ..query(repo)
            },
        )
        .await
        .unwrap();
        assert_eq!((second.total, second.items[0].digest.as_str()), (2, A));
    }
}
