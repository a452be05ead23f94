//! wharf's database schema, one file per migration. Runs at start-up and with `wharf migrate`,
//! on SQLite and PostgreSQL alike.

pub use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_auth_changes;
mod m0003_registry_state;
mod m0004_console;
mod m0005_webhooks;
mod m0006_directory;
mod m0007_security;
mod m0008_registry_version;
mod m0009_drop_account_lockout;
mod m0010_enum_checks;
mod m0011_images;
mod m0012_retention;
mod m0013_delete_events_index;
mod m0014_tag_names;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::Migration),
            Box::new(m0002_auth_changes::Migration),
            Box::new(m0003_registry_state::Migration),
            Box::new(m0004_console::Migration),
            Box::new(m0005_webhooks::Migration),
            Box::new(m0006_directory::Migration),
            Box::new(m0007_security::Migration),
            Box::new(m0008_registry_version::Migration),
            Box::new(m0009_drop_account_lockout::Migration),
            Box::new(m0010_enum_checks::Migration),
            Box::new(m0011_images::Migration),
            Box::new(m0012_retention::Migration),
            Box::new(m0013_delete_events_index::Migration),
            Box::new(m0014_tag_names::Migration),
        ]
    }
}
