use sea_orm::entity::prelude::*;

/// An outgoing webhook of one namespace. Its secret and custom headers are sealed
/// (`backend::webhooks::seal`); only the delivery worker opens them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub namespace_id: i64,
    pub url: String,
    pub events: String,
    pub enabled: bool,
    pub secret_sealed: Option<String>,
    pub headers_sealed: Option<String>,
    pub header_names: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
