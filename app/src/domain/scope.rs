//! Token scopes as the distribution token spec writes them:
//!
//! ```text
//! scope         := resourcescope [ ' ' resourcescope ]*
//! resourcescope := resourcetype ":" resourcename ":" action [ ',' action ]*
//! resourcetype  := resourcetypevalue [ '(' resourcetypevalue ')' ]
//! resourcename  := [ hostname '/' ] component [ '/' component ]*
//! hostname      := hostcomponent [ '.' hostcomponent ]* [ ':' port-number ]
//! ```
//!
//! The name may hold a `host:port` part, so the type is what precedes the first `:` and the
//! actions are what follows the last `:`; everything between is the name.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::names::{is_path_component, RepositoryName};

/// One action a token can grant on a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Pull,
    Push,
    Delete,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Pull, Action::Push, Action::Delete];
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "push",
            Action::Delete => "delete",
        }
    }
    const fn bit(self) -> u8 {
        match self {
            Action::Pull => 1,
            Action::Push => 2,
            Action::Delete => 4,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`Action`]s. `*` in a request means all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct ActionSet(u8);

impl ActionSet {
    pub const EMPTY: ActionSet = ActionSet(0);
    pub const ALL: ActionSet = ActionSet(7);
    pub const PULL: ActionSet = ActionSet(1);

    pub fn of(actions: &[Action]) -> Self {
        ActionSet(actions.iter().fold(0, |acc, a| acc | a.bit()))
    }
    pub fn contains(self, a: Action) -> bool {
        self.0 & a.bit() != 0
    }
    pub fn insert(&mut self, a: Action) {
        self.0 |= a.bit();
    }
    pub fn remove(&mut self, a: Action) {
        self.0 &= !a.bit();
    }
    pub fn intersect(self, other: ActionSet) -> ActionSet {
        ActionSet(self.0 & other.0)
    }
    pub fn union(self, other: ActionSet) -> ActionSet {
        ActionSet(self.0 | other.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The actions in a stable order (pull, push, delete).
    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.contains(*a))
    }
    pub fn names(self) -> Vec<String> {
        self.iter().map(|a| a.as_str().to_owned()).collect()
    }
}

/// What a scope names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resource {
    /// `repository:NAME:…` with a name wharf can own.
    Repository(RepositoryName),
    /// `repository:HOST[:PORT]/NAME:…`: valid by the grammar, but a name qualified with a host
    /// never matches a wharf namespace, so nothing is granted on it.
    ForeignRepository(String),
    /// `registry:catalog:*`.
    Catalog,
    /// Any other resource type (`registry:other`, plugin types): valid, never granted.
    Other { kind: String, name: String },
}

/// One parsed `resourcescope`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The resource type as requested, with its class if any (`repository(plugin)`).
    pub kind: String,
    /// The resource name exactly as requested; echoed back in the token.
    pub name: String,
    pub resource: Resource,
    /// The requested actions wharf knows (`*` expands to all).
    pub requested: ActionSet,
    /// True when `*` was requested: `registry:catalog:*` is only ever granted this way.
    pub wildcard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope {0:?} is not of the form type:name:actions")]
    Shape(String),
    #[error("scope {scope:?} has an invalid resource type")]
    Type { scope: String },
    #[error("scope {scope:?} has an invalid resource name")]
    Name { scope: String },
    #[error("scope {scope:?} has an empty or invalid action")]
    Action { scope: String },
}

fn is_type_value(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

fn is_hostname(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (s, None),
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        });
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

impl Scope {
    /// Parses one `resourcescope`.
    pub fn parse(s: &str) -> Result<Scope, ScopeError> {
        let (kind, rest) = s.split_once(':').ok_or_else(|| ScopeError::Shape(s.to_owned()))?;
        let (name, actions) = rest.rsplit_once(':').ok_or_else(|| ScopeError::Shape(s.to_owned()))?;

        let base_type = match kind.split_once('(') {
            Some((base, class)) => {
                let class = class.strip_suffix(')').unwrap_or("");
                if !is_type_value(base) || !is_type_value(class) {
                    return Err(ScopeError::Type { scope: s.to_owned() });
                }
                base
            }
            None if is_type_value(kind) => kind,
            None => return Err(ScopeError::Type { scope: s.to_owned() }),
        };

        let mut requested = ActionSet::EMPTY;
        let mut wildcard = false;
        for a in actions.split(',') {
            match a {
                "pull" => requested.insert(Action::Pull),
                "push" => requested.insert(Action::Push),
                "delete" => requested.insert(Action::Delete),
                "*" => {
                    wildcard = true;
                    requested = ActionSet::ALL;
                }
                // Unknown but well-formed actions (e.g. "metadata-read") are simply not granted.
                other if is_type_value(other) => {}
                _ => return Err(ScopeError::Action { scope: s.to_owned() }),
            }
        }

        let resource = match base_type {
            "repository" => parse_repository_name(name).ok_or_else(|| ScopeError::Name { scope: s.to_owned() })?,
            "registry" if name == "catalog" => Resource::Catalog,
            _ => {
                if name.is_empty() || name.len() > 512 || name.chars().any(|c| c.is_control() || c == ' ') {
                    return Err(ScopeError::Name { scope: s.to_owned() });
                }
                Resource::Other {
                    kind: base_type.to_owned(),
                    name: name.to_owned(),
                }
            }
        };
        Ok(Scope {
            kind: kind.to_owned(),
            name: name.to_owned(),
            resource,
            requested,
            wildcard,
        })
    }

    /// Parses a `scope` parameter value, which may hold several scopes separated by spaces.
    pub fn parse_list(s: &str) -> Result<Vec<Scope>, ScopeError> {
        s.split(' ').filter(|p| !p.is_empty()).map(Scope::parse).collect()
    }
}

fn parse_repository_name(name: &str) -> Option<Resource> {
    if let Ok(r) = RepositoryName::try_from(name) {
        return Some(Resource::Repository(r));
    }
    // `hostname/component(/component)*` where the first part is a hostname, not a component.
    let (host, path) = name.split_once('/')?;
    if is_hostname(host) && path.len() <= RepositoryName::MAX_LEN && path.split('/').all(is_path_component) {
        return Some(Resource::ForeignRepository(name.to_owned()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_repository_scopes() {
        let s = Scope::parse("repository:alice/app:pull,push").unwrap();
        assert_eq!(
            s.resource,
            Resource::Repository(RepositoryName::try_from("alice/app").unwrap())
        );
        assert_eq!(s.requested, ActionSet::of(&[Action::Pull, Action::Push]));
        assert!(!s.wildcard);
    }

    #[test]
    fn host_and_port_in_the_name_is_not_split_on_colons() {
        let s = Scope::parse("repository:localhost:5000/alice/app:pull").unwrap();
        assert_eq!(s.name, "localhost:5000/alice/app");
        assert_eq!(
            s.resource,
            Resource::ForeignRepository("localhost:5000/alice/app".into())
        );
        assert_eq!(s.requested, ActionSet::PULL);
        let s = Scope::parse("repository:registry.example.com:443/app:*").unwrap();
        assert!(matches!(s.resource, Resource::ForeignRepository(_)));
        assert!(s.wildcard);
        // Without a port, a dotted first component is a valid namespace name: the grammar
        // cannot tell it from a host, and a namespace that does not exist grants nothing.
        let s = Scope::parse("repository:registry.example.com/app:pull").unwrap();
        assert!(matches!(s.resource, Resource::Repository(_)));
    }

    #[test]
    fn catalog_classes_and_unknown_actions() {
        let s = Scope::parse("registry:catalog:*").unwrap();
        assert_eq!(s.resource, Resource::Catalog);
        assert!(s.wildcard);
        let s = Scope::parse("repository(plugin):alice/app:pull,metadata-read").unwrap();
        assert_eq!(s.kind, "repository(plugin)");
        assert_eq!(s.requested, ActionSet::PULL);
    }

    #[test]
    fn malformed_scopes_are_errors() {
        for bad in [
            "",
            "repository",
            "repository:alice",
            "repository:Alice/App:pull",
            "repository:alice/app:",
            "repository:alice/app:pull,,push",
            "repo sitory:a:pull",
            "repository(:a:pull",
            "repository:a//b:pull",
            "repository:host:99999999/a:pull",
        ] {
            assert!(Scope::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn a_parameter_may_hold_several_scopes() {
        let v = Scope::parse_list("repository:a/b:pull repository:a/c:push").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].name, "a/c");
    }
}
