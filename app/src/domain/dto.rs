//! What server functions return to the browser.

use serde::{Deserialize, Serialize};

use super::{DeliveryStatus, NamespaceKindName, Role, Visibility, WebhookEvent};

/// The signed-in user, as the UI needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CurrentUser {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub admin: bool,
}

/// A namespace in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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

/// A registry and the endpoint users reach it at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RegistryEndpoint {
    pub name: String,
    /// `host:port` users give to `docker login` (the load balancer).
    pub public_host: String,
}

/// One replica's health as `wharf registry status --json` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReplicaStatus {
    pub registry: String,
    /// `host:port` users log in to.
    pub public_host: String,
    pub name: String,
    pub url: String,
    pub debug_url: Option<String>,
    /// The registry release it runs: `2` (2.8) or `3` (3.x).
    pub registry_version: String,
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActivityRow {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    pub actor: String,
    /// e.g. `image.pushed`, `image.deleted`, `login.failed`.
    pub kind: String,
    pub target: String,
    pub details: String,
    /// Where the request came from: shown to administrators and to the user who acted, null
    /// for everyone else.
    pub client_addr: Option<String>,
}

/// One page of a server-side paginated list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Rows matching the filter, over all pages (at least this many when `total_capped`).
    pub total: u64,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
    /// Counting stopped at `total`: there are more (the activity log counts up to
    /// [`COUNT_CAP`], since counting a million entries is slower than reading a page).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub total_capped: bool,
}

/// How far a list that may hold millions of rows counts them.
pub const COUNT_CAP: u64 = 10_000;

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }

    /// Whether a page follows this one.
    pub fn has_next(&self) -> bool {
        self.page < self.pages() || self.total_capped
    }
}

/// What the console needs to know before anyone signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSettings {
    pub signup_enabled: bool,
    /// No administrator exists yet: the sign-up form asks for the one-time setup token.
    pub setup_required: bool,
    /// Anonymous visitors may browse public namespaces.
    pub anonymous_browsing: bool,
    /// `host:port` used in `docker pull` lines.
    pub registry_host: String,
    /// The registry-wide policy switches, so the UI asks the same policy the server does.
    pub policy: crate::authz::PolicySettings,
}

/// Who is looking, in the form the policy takes (Anonymous when signed out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub user: Option<CurrentUser>,
    pub subject: crate::authz::Subject,
    pub settings: ConsoleSettings,
}

/// A repository in browse lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RepositoryListItem {
    pub id: i64,
    pub full_name: String,
    pub namespace: String,
    pub tag_count: u64,
    pub pulls: i64,
    pub starred: bool,
    /// RFC 3339.
    pub updated_at: String,
}

/// A namespace page: the namespace, its team, what the viewer may do there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NamespaceDetail {
    pub summary: NamespaceSummary,
    pub facts: crate::authz::NamespaceFacts,
    /// The personal namespace's owner.
    pub owner: Option<String>,
}

/// One tag on the repository page, with the other tags sharing its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TagView {
    pub row: TagRow,
    /// Other tags of this repository on the same digest.
    pub same_digest: Vec<String>,
}

/// Which tags or images of a repository to list, and how.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagListing {
    /// Part of a tag name (images: or a digest prefix of 7+ hex digits).
    pub q: Option<String>,
    pub sort: Option<crate::domain::TagSort>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
    /// Include signatures, attestations and SBOMs tagged cosign's way (`sha256-<hex>.sig`).
    pub accessories: Option<bool>,
}

/// One image (manifest digest) of a repository with every tag on it: a row of the repository
/// page and of `GET /api/v1/repositories/{name}/images`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImageRow {
    pub digest: String,
    /// Every tag on this digest, by name (accessory tags only when they are shown).
    pub tags: Vec<String>,
    pub media_type: String,
    /// Bytes: the manifest plus the layers it references, when the registry said.
    pub size: i64,
    /// Who pushed its newest tag.
    pub pushed_by: Option<String>,
    /// RFC 3339: its newest tag's push.
    pub pushed_at: String,
    /// Pulls of all its tags.
    pub pulls: i64,
    pub last_pulled_at: Option<String>,
    /// What is attached to it (a "signed" / "SBOM" badge), each kind once.
    pub attached: Vec<crate::domain::image::AccessoryKind>,
    /// When this row is itself a signature, attestation or SBOM (shown on request): the image
    /// it belongs to.
    pub accessory_of: Option<String>,
}

/// The repository page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RepositoryDetail {
    pub id: i64,
    pub full_name: String,
    pub namespace: String,
    /// Raw markdown, for editing.
    pub description: String,
    /// The description rendered to sanitized HTML.
    pub description_html: String,
    pub pulls: i64,
    pub last_pulled_at: Option<String>,
    pub starred: bool,
    pub stars: u64,
    pub facts: crate::authz::NamespaceFacts,
    /// Tags in the repository, accessory tags (`sha256-<hex>.sig`, …) included.
    pub tag_count: u64,
    /// Of those, the accessory tags: hidden from `images` unless asked for.
    pub accessory_tags: u64,
    /// One page of its images, newest first by default.
    pub images: Page<ImageRow>,
}

/// What goes when a tag is deleted: every tag sharing its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TagDeletion {
    pub repository: String,
    pub digest: String,
    pub tags: Vec<String>,
    /// Signatures, attestations and SBOMs of the image, deleted with it.
    #[serde(default)]
    pub accessories: Vec<crate::domain::image::Accessory>,
}

/// Search results, each list limited and filtered by what the viewer may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub namespaces: Vec<NamespaceSummary>,
    pub repositories: Vec<RepositoryListItem>,
    /// (repository, tag)
    pub tags: Vec<(String, String)>,
}

/// At most this many namespaces are inlined in the dashboard: its size stays the same for a
/// member of 5 teams and of 500.
pub const DASHBOARD_NAMESPACES: usize = 12;

/// The dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    /// The first [`DASHBOARD_NAMESPACES`] of "my" namespaces by name (the public ones for
    /// anonymous visitors); the namespaces page lists them all.
    pub namespaces: Vec<NamespaceSummary>,
    /// How many there are in all.
    pub namespace_total: u64,
    pub starred: Vec<RepositoryListItem>,
    pub recent: Vec<RepositoryListItem>,
    pub activity: Vec<ActivityRow>,
}

/// An application token as listed (the secret is never shown again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AppTokenRow {
    pub name: String,
    pub read_only: bool,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// A token just created: shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedAppToken {
    pub row: AppTokenRow,
    pub token: String,
    /// `docker login HOST -u USER --password-stdin` line for it.
    pub login_command: String,
}

/// A device docker logged in from (a refresh token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeviceRow {
    pub id: i64,
    pub client_id: String,
    pub user_agent: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: String,
}

/// A team in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamSummary {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub members: u64,
    pub namespaces: u64,
    pub my_role: Option<Role>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamMemberRow {
    pub user: String,
    pub role: Role,
}

/// The team page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeamDetail {
    pub summary: TeamSummary,
    pub members: Vec<TeamMemberRow>,
    pub namespaces: Vec<NamespaceSummary>,
    /// The viewer may rename it, change members, create namespaces in it, delete it.
    pub can_manage: bool,
}

/// A user as admins see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub admin: bool,
    pub disabled: bool,
    pub created_at: String,
}

/// Filters of the activity log; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActivityFilter {
    pub user: Option<String>,
    pub namespace: Option<String>,
    pub kind: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A repository whose namespace wharf does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrphanRow {
    pub id: i64,
    pub name: String,
    pub tags: u64,
    pub updated_at: String,
}

/// What an adoption of orphan repositories did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Adoption {
    /// The namespace they moved into (`""`: the global one).
    pub namespace: String,
    /// Whether the namespace was created for them (in the team the request named).
    pub created: bool,
    /// The repositories adopted, by name (empty when there were none).
    pub repositories: Vec<String>,
}

/// The registries page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RegistryOverview {
    pub replicas: Vec<ReplicaStatus>,
    pub sync_runs: Vec<SyncRunSummary>,
    pub orphans: Vec<OrphanRow>,
    /// Seconds between scheduled syncs (0: off).
    pub sync_interval_secs: u64,
}

/// A configuration file wharf generated for the console (registry replica, nginx, keepalived).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedFile {
    pub title: String,
    pub filename: String,
    pub content: String,
}

/// An outgoing webhook as the console and the API show it. The secret and header values are
/// never shown again after they are set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookSummary {
    pub id: i64,
    /// The namespace (empty: the global one).
    pub namespace: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub enabled: bool,
    /// Whether deliveries are signed (`X-Wharf-Signature`).
    pub has_secret: bool,
    /// Names of the custom headers sent with each delivery (values hidden).
    pub header_names: Vec<String>,
    pub created_by: String,
    /// RFC 3339.
    pub created_at: String,
    pub updated_at: String,
    /// The latest delivery's status, if any.
    pub last_delivery: Option<DeliveryStatus>,
}

/// A custom header sent with every delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookHeader {
    pub name: String,
    pub value: String,
}

/// One try at sending a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    /// 1 for the first attempt.
    pub number: i32,
    /// RFC 3339.
    pub started_at: String,
    pub duration_ms: i64,
    /// The receiver's status code; absent when no response came (see `error`).
    pub status_code: Option<i32>,
    pub error: Option<String>,
    /// The beginning of the response body.
    pub response_excerpt: String,
    /// The wharf process that sent it.
    pub worker: String,
}

/// One event delivered (or to be delivered) to a webhook, with every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    pub id: i64,
    /// What receivers see in `X-Wharf-Delivery`.
    pub delivery_id: String,
    pub event: WebhookEvent,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// RFC 3339.
    pub created_at: String,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: Option<String>,
    pub finished_at: Option<String>,
    pub last_status_code: Option<i32>,
    /// The JSON body sent.
    pub payload: String,
    pub attempt_log: Vec<DeliveryAttempt>,
}
