//! Names as the distribution registry defines them, parsed once at the boundary.
//!
//! Grammar (distribution `reference` package):
//! - path component: `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
//! - repository name: components joined by `/`, at most 255 characters in all
//! - tag: `[\w][\w.-]{0,127}`
//! - digest: `algorithm:hex` (we accept `sha256`/`sha384`/`sha512` with lowercase hex of the right length)

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a name was refused; the message is shown to users as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("{kind} must not be empty")]
    Empty { kind: &'static str },
    #[error("{kind} is too long ({len} characters, at most {max})")]
    TooLong { kind: &'static str, len: usize, max: usize },
    #[error("{kind} {value:?} is invalid: {reason}")]
    Invalid {
        kind: &'static str,
        value: String,
        reason: &'static str,
    },
}

impl NameError {
    /// The same refusal, said of another kind of name (a team's name is a namespace name).
    pub fn for_kind(self, kind: &'static str) -> NameError {
        match self {
            NameError::Empty { .. } => NameError::Empty { kind },
            NameError::TooLong { len, max, .. } => NameError::TooLong { kind, len, max },
            NameError::Invalid { value, reason, .. } => NameError::Invalid { kind, value, reason },
        }
    }
}

/// A valid path component close to `s` (`Data Science` → `data-science`), if there is one.
pub fn suggest_component(s: &str) -> Option<String> {
    let mut out = String::new();
    for c in s.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    (is_path_component(&out) && out.len() <= NamespaceName::MAX_LEN && out != s).then_some(out)
}

/// A team's or a user's name, which is also the name of their namespace: the namespace
/// grammar, refused as a `kind` (`"team name"`), with a valid name to try.
pub fn name_for(kind: &'static str, s: &str) -> Result<NamespaceName, crate::domain::AppError> {
    NamespaceName::try_from(s).map_err(|e| {
        let e = e.for_kind(kind);
        match suggest_component(s) {
            Some(ok) => crate::domain::AppError::BadRequest(format!("{e} (try {ok:?})")),
            None => e.into(),
        }
    })
}

const COMPONENT_RULE: &str = "use lowercase letters and digits, separated by single '.', '_', '__' or runs of '-'";

/// True when `s` matches the distribution path-component grammar.
pub fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if alnum(c) {
            i += 1;
            continue;
        }
        // A separator: '.', '_', '__' or one or more '-'.
        let start = i;
        match c {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if i < b.len() && b[i] == b'_' {
                    i += 1;
                }
            }
            b'-' => {
                while i < b.len() && b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
        // A separator must be followed by an alphanumeric.
        if i >= b.len() || !alnum(b[i]) || i == start {
            return false;
        }
    }
    true
}

/// A namespace: one path component (`alice`, `team-a`). The global namespace has no name of
/// its own; it holds repositories without a slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NamespaceName(String);

impl NamespaceName {
    pub const MAX_LEN: usize = 64;
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NamespaceName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        const KIND: &str = "namespace name";
        if s.is_empty() {
            return Err(NameError::Empty { kind: KIND });
        }
        if s.len() > Self::MAX_LEN {
            return Err(NameError::TooLong {
                kind: KIND,
                len: s.len(),
                max: Self::MAX_LEN,
            });
        }
        if !is_path_component(&s) {
            return Err(NameError::Invalid {
                kind: KIND,
                value: s,
                reason: COMPONENT_RULE,
            });
        }
        Ok(Self(s))
    }
}

impl TryFrom<&str> for NamespaceName {
    type Error = NameError;
    fn try_from(s: &str) -> Result<Self, NameError> {
        Self::try_from(s.to_owned())
    }
}

impl From<NamespaceName> for String {
    fn from(n: NamespaceName) -> String {
        n.0
    }
}

impl fmt::Display for NamespaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A full repository path as the registry sees it: `alice/app`, `team/group/app`, or `busybox`
/// (global namespace).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RepositoryName(String);

impl RepositoryName {
    pub const MAX_LEN: usize = 255;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The namespace this repository lives in: the first component when the name has a
    /// slash, otherwise `None` for the global namespace.
    pub fn namespace(&self) -> Option<NamespaceName> {
        self.0.split_once('/').map(|(ns, _)| NamespaceName(ns.to_owned()))
    }

    /// The name inside its namespace (`app` for `alice/app`, `busybox` for `busybox`).
    pub fn short_name(&self) -> &str {
        self.0.split_once('/').map_or(self.0.as_str(), |(_, r)| r)
    }
}

impl TryFrom<String> for RepositoryName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        const KIND: &str = "repository name";
        if s.is_empty() {
            return Err(NameError::Empty { kind: KIND });
        }
        if s.len() > Self::MAX_LEN {
            return Err(NameError::TooLong {
                kind: KIND,
                len: s.len(),
                max: Self::MAX_LEN,
            });
        }
        if !s.split('/').all(is_path_component) {
            return Err(NameError::Invalid {
                kind: KIND,
                value: s,
                reason: COMPONENT_RULE,
            });
        }
        Ok(Self(s))
    }
}

impl TryFrom<&str> for RepositoryName {
    type Error = NameError;
    fn try_from(s: &str) -> Result<Self, NameError> {
        Self::try_from(s.to_owned())
    }
}

impl From<RepositoryName> for String {
    fn from(n: RepositoryName) -> String {
        n.0
    }
}

impl fmt::Display for RepositoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tag: `[\w][\w.-]{0,127}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TagName(String);

impl TagName {
    pub const MAX_LEN: usize = 128;
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TagName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        const KIND: &str = "tag";
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let Some(first) = s.chars().next() else {
            return Err(NameError::Empty { kind: KIND });
        };
        if s.len() > Self::MAX_LEN {
            return Err(NameError::TooLong {
                kind: KIND,
                len: s.len(),
                max: Self::MAX_LEN,
            });
        }
        if !word(first) || !s.chars().all(|c| word(c) || c == '.' || c == '-') {
            return Err(NameError::Invalid {
                kind: KIND,
                value: s,
                reason: "use letters, digits, '_', '.' and '-', starting with a letter, digit or '_'",
            });
        }
        Ok(Self(s))
    }
}

impl From<TagName> for String {
    fn from(n: TagName) -> String {
        n.0
    }
}

impl fmt::Display for TagName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A content digest, `sha256:<64 hex>`, `sha384:<96 hex>` or `sha512:<128 hex>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

impl Digest {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `sha256:0123456789ab` — what tables show.
    pub fn short(&self) -> &str {
        let end = self.0.find(':').map_or(0, |i| i + 13).min(self.0.len());
        &self.0[..end]
    }
}

impl TryFrom<String> for Digest {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        const KIND: &str = "digest";
        let ok = match s.split_once(':') {
            Some(("sha256", hex)) => hex.len() == 64,
            Some(("sha384", hex)) => hex.len() == 96,
            Some(("sha512", hex)) => hex.len() == 128,
            _ => false,
        } && s
            .split_once(':')
            .is_some_and(|(_, h)| h.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        if !ok {
            return Err(NameError::Invalid {
                kind: KIND,
                value: s.chars().take(140).collect(),
                reason: "expected sha256:<64 lowercase hex> (or sha384/sha512)",
            });
        }
        Ok(Self(s))
    }
}

impl From<Digest> for String {
    fn from(n: Digest) -> String {
        n.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_name_is_refused_as_a_team_name_with_a_suggestion() {
        let e = name_for("team name", "Data Science").unwrap_err().to_string();
        assert!(e.starts_with("team name \"Data Science\" is invalid"), "{e}");
        assert!(e.ends_with("(try \"data-science\")"), "{e}");
        assert_eq!(
            name_for("team name", "").unwrap_err().to_string(),
            "team name must not be empty"
        );
        assert_eq!(name_for("team name", "data-science").unwrap().as_str(), "data-science");
        assert_eq!(suggest_component("  Ops / Infra 2 "), Some("ops-infra-2".into()));
        assert_eq!(suggest_component("***"), None);
    }

    #[test]
    fn path_components_follow_the_distribution_grammar() {
        for ok in ["a", "abc", "a.b", "a_b", "a__b", "a-b", "a---b", "a1.b2_c3", "0"] {
            assert!(is_path_component(ok), "{ok} should be accepted");
        }
        for bad in [
            "", "A", "-a", "a-", "a..b", "a___b", "a._b", ".a", "a_", "a b", "é", "a/b", "a:b",
        ] {
            assert!(!is_path_component(bad), "{bad} should be refused");
        }
    }

    #[test]
    fn repository_names_split_into_namespace_and_short_name() {
        let r = RepositoryName::try_from("team/group/app").unwrap();
        assert_eq!(r.namespace().unwrap().as_str(), "team");
        assert_eq!(r.short_name(), "group/app");
        let g = RepositoryName::try_from("busybox").unwrap();
        assert_eq!(g.namespace(), None);
        assert_eq!(g.short_name(), "busybox");
        assert!(RepositoryName::try_from("a//b").is_err());
        assert!(RepositoryName::try_from("a/").is_err());
        assert!(RepositoryName::try_from("x".repeat(256)).is_err());
        assert!(RepositoryName::try_from("Alice/app").is_err());
    }

    #[test]
    fn tags_and_digests() {
        assert!(TagName::try_from("v1.0-rc_1".to_owned()).is_ok());
        assert!(TagName::try_from("_x".to_owned()).is_ok());
        assert!(TagName::try_from(".x".to_owned()).is_err());
        assert!(TagName::try_from("x".repeat(129)).is_err());
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(Digest::try_from(d.clone()).unwrap().short(), "sha256:aaaaaaaaaaaa");
        assert!(Digest::try_from(format!("sha256:{}", "A".repeat(64))).is_err());
        assert!(Digest::try_from("sha256:abc".to_owned()).is_err());
        assert!(Digest::try_from("md5:abc".to_owned()).is_err());
    }

    #[test]
    fn serde_goes_through_validation() {
        let bad: Result<NamespaceName, _> = serde_json::from_str("\"Not Valid\"");
        assert!(bad.is_err());
        let good: NamespaceName = serde_json::from_str("\"team-a\"").unwrap();
        assert_eq!(good.as_str(), "team-a");
    }
}
