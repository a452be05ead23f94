//! Users, teams, namespaces, repositories, tags, credentials, sessions, the audit log and the
//! registries wharf fronts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &str,
    from: (&'static str, &'static str),
    to: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to, "id")
        .on_delete(on_delete)
        .to_owned()
}

fn now_col(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone(name)
        .default(Expr::current_timestamp())
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("users")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("name", 64))
                .col(string_len_null("email", 255))
                // argon2id PHC string; NULL for accounts that cannot sign in with a password.
                .col(string_len_null("password_hash", 255))
                .col(boolean("admin").default(false))
                .col(boolean("disabled").default(false))
                // Failed sign-ins since the last success, and when the account may try again.
                .col(integer("failed_logins").default(0))
                .col(timestamp_with_time_zone_null("locked_until"))
                .col(now_col("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("teams")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("name", 64))
                .col(text("description").default(""))
                .col(now_col("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("team_members")
                .col(big_pk_auto("id"))
                .col(big_integer("team_id"))
                .col(big_integer("user_id"))
                .col(string_len("role", 16))
                .col(now_col("created_at"))
                .foreign_key(&mut fk(
                    "fk_team_members_team",
                    ("team_members", "team_id"),
                    "teams",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "fk_team_members_user",
                    ("team_members", "user_id"),
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_team_members_team_user")
                .table("team_members")
                .col("team_id")
                .col("user_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_team_members_user")
                .table("team_members")
                .col("user_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("namespaces")
                .col(big_pk_auto("id"))
                // "" for the global namespace.
                .col(string_len_uniq("name", 64))
                .col(string_len("kind", 16))
                .col(big_integer_null("team_id"))
                .col(big_integer_null("owner_user_id"))
                .col(string_len("visibility", 16))
                .col(text("description").default(""))
                .col(now_col("created_at"))
                .foreign_key(&mut fk(
                    "fk_namespaces_team",
                    ("namespaces", "team_id"),
                    "teams",
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    "fk_namespaces_owner",
                    ("namespaces", "owner_user_id"),
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("repositories")
                .col(big_pk_auto("id"))
                // NULL: an orphan, seen in the registry under a namespace wharf does not know.
                .col(big_integer_null("namespace_id"))
                // The full name as docker uses it: "alice/app", "busybox".
                .col(string_len_uniq("name", 255))
                .col(text("description").default(""))
                .col(now_col("created_at"))
                .col(now_col("updated_at"))
                .foreign_key(&mut fk(
                    "fk_repositories_namespace",
                    ("repositories", "namespace_id"),
                    "namespaces",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_repositories_namespace")
                .table("repositories")
                .col("namespace_id")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("tags")
                .col(big_pk_auto("id"))
                .col(big_integer("repository_id"))
                .col(string_len("name", 128))
                .col(string_len("digest", 140))
                .col(string_len("media_type", 255).default(""))
                .col(big_integer("size").default(0))
                .col(string_len_null("pushed_by", 64))
                .col(now_col("pushed_at"))
                .col(big_integer("pull_count").default(0))
                .col(timestamp_with_time_zone_null("last_pulled_at"))
                .foreign_key(&mut fk(
                    "fk_tags_repository",
                    ("tags", "repository_id"),
                    "repositories",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_tags_repository_name")
                .table("tags")
                .col("repository_id")
                .col("name")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_tags_digest")
                .table("tags")
                .col("digest")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("app_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string_len("name", 64))
                // SHA-256 of the whole token (tokens are 256-bit random, so no slow hash needed).
                .col(string_len_uniq("token_hash", 64))
                .col(boolean("read_only").default(false))
                .col(timestamp_with_time_zone_null("expires_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(now_col("created_at"))
                .foreign_key(&mut fk(
                    "fk_app_tokens_user",
                    ("app_tokens", "user_id"),
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_app_tokens_user_name")
                .table("app_tokens")
                .col("user_id")
                .col("name")
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("refresh_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("user_id"))
                .col(string_len_uniq("token_hash", 64))
                .col(string_len("client_id", 128).default(""))
                .col(string_len("user_agent", 255).default(""))
                .col(now_col("created_at"))
                .col(timestamp_with_time_zone_null("last_used_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .col(timestamp_with_time_zone_null("revoked_at"))
                .foreign_key(&mut fk(
                    "fk_refresh_tokens_user",
                    ("refresh_tokens", "user_id"),
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("sessions")
                // SHA-256 of the cookie value: a leaked database cannot be replayed as cookies.
                .col(string_len("id", 64).primary_key())
                .col(big_integer("user_id"))
                .col(now_col("created_at"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(&mut fk(
                    "fk_sessions_user",
                    ("sessions", "user_id"),
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("activities")
                .col(big_pk_auto("id"))
                .col(now_col("created_at"))
                .col(big_integer_null("actor_user_id"))
                .col(string_len("actor_name", 64).default(""))
                // e.g. "login.failed", "tag.pushed", "namespace.created"
                .col(string_len("kind", 64))
                .col(big_integer_null("namespace_id"))
                .col(string_len("target", 255).default(""))
                .col(text("details").default(""))
                .col(string_len_null("client_addr", 64))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_activities_created")
                .table("activities")
                .col("created_at")
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("registries")
                .col(big_pk_auto("id"))
                .col(string_len_uniq("name", 64))
                // host[:port] clients use.
                .col(string_len("public_host", 255))
                .col(now_col("created_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("replicas")
                .col(big_pk_auto("id"))
                .col(big_integer("registry_id"))
                .col(string_len("name", 64))
                .col(string_len("url", 255))
                .col(string_len_null("debug_url", 255))
                .col(boolean_null("healthy"))
                .col(timestamp_with_time_zone_null("last_probe_at"))
                .col(timestamp_with_time_zone_null("last_event_at"))
                .col(string_len_null("instance_id", 64))
                .foreign_key(&mut fk(
                    "fk_replicas_registry",
                    ("replicas", "registry_id"),
                    "registries",
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_replicas_registry_name")
                .table("replicas")
                .col("registry_id")
                .col("name")
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
