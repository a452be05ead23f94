//! The columns that hold one of a fixed set of words (roles, namespace kinds, visibility,
//! sync and delivery status, registry versions) refuse anything else, so a stray write can
//! never leave a value the entities cannot read. PostgreSQL gets CHECK constraints; SQLite
//! cannot add one to an existing table, so it gets the equivalent: triggers that abort an
//! INSERT or UPDATE carrying another value. A row already holding a bad value makes this
//! migration fail with the table and column named, rather than leaving it to fail later.
//!
//! The word lists are this migration's own (a later migration changes them, not the enums).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, column, allowed values)
const CHECKS: &[(&str, &str, &[&str])] = &[
    ("team_members", "role", &["owner", "contributor", "viewer"]),
    ("namespaces", "kind", &["global", "personal", "team"]),
    ("namespaces", "visibility", &["private", "protected", "public"]),
    ("sync_runs", "strategy", &["update", "update-delete"]),
    (
        "sync_runs",
        "status",
        &["running", "succeeded", "partial", "needs-confirmation", "failed"],
    ),
    ("webhook_deliveries", "event", &["push", "delete", "ping"]),
    (
        "webhook_deliveries",
        "status",
        &["pending", "delivering", "succeeded", "failed"],
    ),
    ("replicas", "registry_version", &["2", "3"]),
];

fn in_list(values: &[&str]) -> String {
    values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let backend = db.get_database_backend();
        for (table, column, values) in CHECKS {
            let list = in_list(values);
            let bad = db
                .query_one_raw(Statement::from_string(
                    backend,
                    format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} NOT IN ({list})"),
                ))
                .await?
                .map(|row| row.try_get_by_index::<i64>(0))
                .transpose()?
                .unwrap_or(0);
            if bad > 0 {
                return Err(DbErr::Migration(format!(
                    "{table}.{column}: {bad} rows hold a value other than {list}; correct them first"
                )));
            }
            let name = format!("ck_{table}_{column}");
            let statements = match backend {
                DatabaseBackend::Postgres => vec![format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({column} IN ({list}))"
                )],
                _ => ["INSERT", "UPDATE"]
                    .iter()
                    .map(|op| {
                        let on = if *op == "UPDATE" {
                            format!("UPDATE OF {column}")
                        } else {
                            (*op).to_owned()
                        };
                        format!(
                            "CREATE TRIGGER {name}_{op} BEFORE {on} ON {table} \
                             WHEN NEW.{column} NOT IN ({list}) \
                             BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END",
                            op = op.to_lowercase()
                        )
                    })
                    .collect(),
            };
            for sql in statements {
                db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }
}
