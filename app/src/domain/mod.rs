//! Types shared by the server and the browser: parsed names, scopes, enums of the data
//! model, the DTOs server functions return, and the application error.

pub mod dto;
pub mod error;
pub mod image;
pub mod names;
pub mod paging;
pub mod retention;
pub mod scope;

pub use error::AppError;
pub use names::{Digest, NameError, NamespaceName, RepositoryName, TagName};
pub use paging::{page_request, MAX_PAGE, MAX_PER_PAGE};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A word that is none of an enum's values (from the CLI, the configuration or the database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord(pub String);

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UnknownWord {}

/// Defines a string-backed enum with `as_str`, `FromStr` (for the CLI, config and database)
/// and `Display`. On the server it is also a database column type (stored as its word; a
/// stored word that is none of the variants is an error, never a default).
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sea_orm::DeriveValueType), sea_orm(value_type = "String"))]
        pub enum $name { $($(#[$vm])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownWord(format!(
                        "{s:?} is not one of: {}",
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// A member's role in a team.
    Role {
        Owner => "owner",
        Contributor => "contributor",
        Viewer => "viewer",
    }
);

string_enum!(
    /// Who may pull from a namespace besides its members.
    Visibility {
        /// Members only.
        Private => "private",
        /// Any signed-in user.
        Protected => "protected",
        /// Anyone, anonymous included.
        Public => "public",
    }
);

string_enum!(
    /// Who may push, registry-wide.
    PushPolicy {
        /// Team owners and contributors, and users in their personal namespace (default).
        AllowTeams => "allow-teams",
        /// Only users in their personal namespace (and admins).
        AllowPersonal => "allow-personal",
        /// Only admins.
        AdminOnly => "admin-only",
    }
);

string_enum!(
    /// What a namespace is.
    NamespaceKindName {
        Global => "global",
        Personal => "personal",
        Team => "team",
    }
);

string_enum!(
    /// What a sync run may change: `update` only adds and updates; `update-delete` also removes
    /// what the registry no longer has (behind the mass-deletion guard).
    SyncStrategy {
        Update => "update",
        UpdateDelete => "update-delete",
    }
);

string_enum!(
    /// The major version of the distribution registry a replica runs: the configuration
    /// keys and the notification envelope differ between them.
    RegistryVersion {
        /// distribution 2.8 (Debian's `docker-registry`, `registry:2`).
        V2 => "2",
        /// distribution 3.x (`registry:3`, the current release).
        V3 => "3",
    }
);

string_enum!(
    /// How a sync run ended.
    SyncStatus {
        Running => "running",
        Succeeded => "succeeded",
        /// Finished, but some repositories could not be read (see `errors`).
        Partial => "partial",
        /// The guard held back removals; an admin must confirm them.
        NeedsConfirmation => "needs-confirmation",
        Failed => "failed",
    }
);

string_enum!(
    /// How a retention run ended.
    RetentionStatus {
        Running => "running",
        Succeeded => "succeeded",
        /// Some deletions failed (see the run's report); the rest went.
        Partial => "partial",
        /// It would delete more than `retention_max_delete_share` of the namespace's tags:
        /// nothing was deleted; run it again confirmed.
        NeedsConfirmation => "needs-confirmation",
        Failed => "failed",
    }
);

string_enum!(
    /// What started a retention run.
    RetentionTrigger {
        /// Someone asked (console, CLI, API).
        Manual => "manual",
        /// The elected leader's schedule.
        Schedule => "schedule",
    }
);

string_enum!(
    /// How repository lists are ordered.
    RepositorySort {
        Name => "name",
        /// Most recently pushed first.
        Updated => "updated",
        /// Most pulled first.
        Pulls => "pulls",
    }
);

string_enum!(
    /// How a repository's tags are ordered.
    TagSort {
        /// Newest push first (tags on one digest end up side by side).
        Pushed => "pushed",
        Name => "name",
        /// Most pulled first.
        Pulls => "pulls",
        /// Largest first.
        Size => "size",
    }
);

string_enum!(
    /// What a webhook is sent for. `ping` is only sent on demand (test-fire), never subscribed.
    WebhookEvent {
        /// A tag was pushed.
        Push => "push",
        /// A manifest (and the tags on it) was deleted.
        Delete => "delete",
        /// A test delivery from the console or the API.
        Ping => "ping",
    }
);

string_enum!(
    /// Where a webhook delivery is in the queue.
    DeliveryStatus {
        /// Waiting for its next attempt.
        Pending => "pending",
        /// Claimed by a wharf process, being sent.
        Delivering => "delivering",
        /// The receiver answered 2xx.
        Succeeded => "succeeded",
        /// Every attempt failed; redeliver to try again.
        Failed => "failed",
    }
);
