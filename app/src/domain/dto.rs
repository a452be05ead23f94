//! What server functions return to the browser.

use serde::{Deserialize, Serialize};

use super::{NamespaceKindName, Role, Visibility};

/// The signed-in user, as the UI needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub admin: bool,
}

/// A namespace in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceSummary {
    pub id: i64,
    /// Empty for the global namespace.
    pub name: String,
    pub kind: NamespaceKindName,
    pub visibility: Visibility,
    pub team: Option<String>,
    /// The caller's role in the owning team, if any.
    pub my_role: Option<Role>,
    pub description: String,
    pub repository_count: u64,
}

/// A repository in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositorySummary {
    pub id: i64,
    /// Full name as used with docker (`alice/app`).
    pub full_name: String,
    pub namespace: String,
    pub tag_count: u64,
    /// RFC 3339.
    pub updated_at: Option<String>,
}

/// "My namespaces and repositories": what the home page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyRegistry {
    pub namespaces: Vec<NamespaceSummary>,
    pub repositories: Vec<RepositorySummary>,
    /// `host:port` clients use with docker, if configured.
    pub registry_host: Option<String>,
}

/// One sync run as the console, the API and `wharf sync --json` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRunSummary {
    pub id: i64,
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `schedule`, `cli` or `console`.
    pub trigger: String,
    pub strategy: String,
    pub status: String,
    /// The wharf process that ran it.
    pub runner: String,
    pub replica_url: Option<String>,
    pub repositories_seen: i64,
    pub tags_seen: i64,
    pub tags_added: i64,
    pub tags_updated: i64,
    pub tags_removed: i64,
    /// Removals the guard held back until an admin confirms them.
    pub removals_held: i64,
    /// One line per problem.
    pub errors: Vec<String>,
}

/// A repository as `wharf repo list --json` and the admin views show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepositoryRow {
    /// Full name as used with docker (`alice/app`).
    pub name: String,
    /// `None` for an orphan: its namespace is unknown to wharf.
    pub namespace: Option<String>,
    pub tags: u64,
    pub pulls: i64,
    /// RFC 3339.
    pub last_pulled_at: Option<String>,
    pub updated_at: String,
}

/// A tag as `wharf tag list --json` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRow {
    pub tag: String,
    pub digest: String,
    pub media_type: String,
    /// Bytes: the manifest plus the layers it references, when the registry said.
    pub size: i64,
    pub pushed_by: Option<String>,
    /// RFC 3339.
    pub pushed_at: String,
    pub pulls: i64,
    pub last_pulled_at: Option<String>,
}

/// One replica's health as `wharf registry status --json` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaStatus {
    pub registry: String,
    /// `host:port` users log in to.
    pub public_host: String,
    pub name: String,
    pub url: String,
    pub debug_url: Option<String>,
    /// `"up"`, `"down"` or `"unknown"` (not probed yet).
    pub status: String,
    pub last_probe_at: Option<String>,
    pub last_error: Option<String>,
    pub status_changed_at: Option<String>,
    /// When this replica's last notification arrived.
    pub last_event_at: Option<String>,
    pub instance_id: Option<String>,
    pub source_addr: Option<String>,
    /// The most recent probes, newest first.
    pub history: Vec<ProbeResult>,
}

/// One health probe of a replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeResult {
    /// RFC 3339.
    pub at: String,
    pub up: bool,
    /// Why it counted as down (empty when up).
    pub detail: String,
    pub latency_ms: i32,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityRow {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    pub actor: String,
    /// e.g. `image.pushed`, `image.deleted`, `login.failed`.
    pub kind: String,
    pub target: String,
    pub details: String,
    pub client_addr: Option<String>,
}
