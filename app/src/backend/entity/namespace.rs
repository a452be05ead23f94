use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "namespaces")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Empty for the global namespace.
    #[sea_orm(unique)]
    pub name: String,
    /// `global`, `personal` or `team` (see `domain::NamespaceKindName`).
    pub kind: crate::domain::NamespaceKindName,
    pub team_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    /// `private`, `protected` or `public`.
    pub visibility: crate::domain::Visibility,
    pub description: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
