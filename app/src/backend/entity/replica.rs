use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "replicas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub registry_id: i64,
    pub name: String,
    pub url: String,
    pub debug_url: Option<String>,
    pub healthy: Option<bool>,
    pub last_probe_at: Option<DateTimeUtc>,
    pub last_event_at: Option<DateTimeUtc>,
    pub instance_id: Option<String>,
    pub source_addr: Option<String>,
    pub last_error: Option<String>,
    pub status_changed_at: Option<DateTimeUtc>,
    /// The registry version this replica runs.
    pub registry_version: crate::domain::RegistryVersion,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
