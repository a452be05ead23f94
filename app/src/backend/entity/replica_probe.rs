use sea_orm::entity::prelude::*;

/// One health check of one replica (recent history for the console).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replica_probes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub replica_id: i64,
    pub probed_at: DateTimeUtc,
    pub healthy: bool,
    pub detail: String,
    pub latency_ms: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
