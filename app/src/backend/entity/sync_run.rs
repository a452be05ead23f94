use sea_orm::entity::prelude::*;

/// One reconciliation of the database with the registry.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub trigger: String,
    pub strategy: crate::domain::SyncStrategy,
    pub status: crate::domain::SyncStatus,
    pub runner: String,
    pub replica_url: Option<String>,
    pub repositories_seen: i64,
    pub tags_seen: i64,
    pub tags_added: i64,
    pub tags_updated: i64,
    pub tags_removed: i64,
    pub removals_held: i64,
    pub errors: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
