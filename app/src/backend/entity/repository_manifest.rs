use sea_orm::entity::prelude::*;

/// A digest a repository holds (tagged or not), and the state of fetching its manifest.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "repository_manifests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub repository_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    pub seen_at: DateTimeUtc,
    pub attempts: i32,
    pub retry_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::repository::Entity",
        from = "Column::RepositoryId",
        to = "super::repository::Column::Id"
    )]
    Repository,
    /// The stored manifest, once fetched (no foreign key: the link comes first).
    #[sea_orm(
        belongs_to = "super::manifest::Entity",
        from = "Column::Digest",
        to = "super::manifest::Column::Digest"
    )]
    Manifest,
}

impl Related<super::manifest::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Manifest.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
