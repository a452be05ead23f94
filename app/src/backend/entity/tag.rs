use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tags")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub repository_id: i64,
    pub name: String,
    pub digest: String,
    pub media_type: String,
    pub size: i64,
    pub pushed_by: Option<String>,
    pub pushed_at: DateTimeUtc,
    pub pull_count: i64,
    pub last_pulled_at: Option<DateTimeUtc>,
    pub seen_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// For joins (tag search); the schema has the foreign key.
    #[sea_orm(
        belongs_to = "super::repository::Entity",
        from = "Column::RepositoryId",
        to = "super::repository::Column::Id"
    )]
    Repository,
}

impl ActiveModelBehavior for ActiveModel {}
