use sea_orm::entity::prelude::*;

/// One retention run of a namespace: who started it, how it ended, what it deleted and kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "retention_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub namespace_id: i64,
    pub trigger: crate::domain::RetentionTrigger,
    pub actor: String,
    pub status: crate::domain::RetentionStatus,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub deleted_images: i64,
    pub deleted_tags: i64,
    pub kept_images: i64,
    /// `RetentionReport` as JSON.
    pub report: String,
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
