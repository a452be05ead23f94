use sea_orm::entity::prelude::*;

/// A manifest read from the registry, once per digest.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "manifests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub digest: String,
    pub media_type: String,
    pub size: i64,
    pub body: String,
    pub config: Option<String>,
    pub total_size: i64,
    pub subject: Option<String>,
    pub artifact_type: Option<String>,
    pub fetched_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::repository_manifest::Entity")]
    RepositoryManifest,
}

impl Related<super::repository_manifest::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RepositoryManifest.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
