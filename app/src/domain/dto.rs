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
