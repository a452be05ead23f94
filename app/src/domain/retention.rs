//! Tag retention: which images a policy keeps, which it deletes, and why. [`plan`] is one pure
//! function, compiled for the server and the browser alike: a scheduled run, `wharf retention
//! plan` and the console's preview all come from it, so a preview shows exactly what a run
//! would delete.
//!
//! The registry deletes manifests, not tags (a manifest goes with every tag on it), so rules
//! are decided per tag and an image (a digest) is deleted only when *every* tag on it is
//! selected. Signatures, attestations and SBOMs are never judged on their own: they go with
//! the image they are attached to and stay with it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::image::accessory_tag;

const DAY: i64 = 86_400;
/// Patterns per list, and characters per pattern: enough for any real policy.
pub const MAX_PATTERNS: usize = 20;
pub const MAX_PATTERN_LEN: usize = 128;
/// A retention window longer than a century is a typo.
pub const MAX_DAYS: u32 = 36_500;
pub const MAX_KEEP_LAST: u32 = 100_000;

/// A retention policy (for a namespace, or one repository's override). Tags are kept if any
/// keep rule keeps them; a policy with no keep rule keeps every tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetentionRules {
    /// Keep the N most recently pushed images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_last: Option<u32>,
    /// Keep what was pushed or pulled within the last D days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_days: Option<u32>,
    /// The rules apply to tags matching one of these globs (`*`, `?`); empty: every tag.
    /// Other tags are kept.
    #[serde(default)]
    pub tags: Vec<String>,
    /// ... and not matching any of these (which are kept).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Tags matching one of these are always kept (`v*`, `latest`).
    #[serde(default)]
    pub protect: Vec<String>,
    /// Untagged manifests (no tag points at them, no kept index lists them, nothing they are
    /// attached to) are deleted once wharf has known them for D days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untagged_days: Option<u32>,
}

impl RetentionRules {
    /// True when the policy deletes nothing at all.
    pub fn is_empty(&self) -> bool {
        self.keep_last.is_none() && self.keep_days.is_none() && self.untagged_days.is_none()
    }

    /// Checks the numbers and patterns, saying what is wrong in words a user can act on.
    pub fn validate(&self) -> Result<(), String> {
        if self.keep_last == Some(0) {
            return Err("keep-last must be at least 1 (leave it out to not keep by count)".into());
        }
        if self.keep_last.is_some_and(|n| n > MAX_KEEP_LAST) {
            return Err(format!("keep-last must be at most {MAX_KEEP_LAST}"));
        }
        if self.keep_days == Some(0) {
            return Err("keep-days must be at least 1 (leave it out to not keep by age)".into());
        }
        for (what, days) in [("keep-days", self.keep_days), ("untagged-days", self.untagged_days)] {
            if days.is_some_and(|d| d > MAX_DAYS) {
                return Err(format!("{what} must be at most {MAX_DAYS}"));
            }
        }
        for (what, list) in [
            ("tags", &self.tags),
            ("exclude", &self.exclude),
            ("protect", &self.protect),
        ] {
            if list.len() > MAX_PATTERNS {
                return Err(format!("at most {MAX_PATTERNS} {what} patterns"));
            }
            for p in list {
                let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '*' | '?');
                if p.is_empty() || p.len() > MAX_PATTERN_LEN || !p.chars().all(valid_char) {
                    return Err(format!(
                        "{what} pattern {p:?} is not a tag pattern: 1 to {MAX_PATTERN_LEN} of letters, digits, _ . - and the wildcards * ?"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Whether `text` matches the glob `pattern`: `*` any run of characters, `?` one character,
/// everything else itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and how much of the text it had taken when we backtrack.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// One tag as retention sees it. Times are Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagFacts {
    pub name: String,
    pub pushed_at: i64,
    pub last_pulled_at: Option<i64>,
}

/// One manifest a repository holds: its tags (none when untagged), when wharf first knew it,
/// what it is attached to (`subject`) and, for an index, the manifests it lists.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ManifestFacts {
    pub digest: String,
    pub tags: Vec<TagFacts>,
    pub first_seen: i64,
    pub subject: Option<String>,
    pub children: Vec<String>,
}

/// An image a run deletes: its digest with every tag on it, and what is attached to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlannedDeletion {
    pub repository: String,
    pub digest: String,
    /// Every tag on the digest (empty for an untagged manifest).
    pub tags: Vec<String>,
    /// Signatures, attestations and SBOMs deleted with it.
    #[serde(default)]
    pub accessories: Vec<String>,
}

/// An image a run keeps, and the first rule that keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlannedKeep {
    pub repository: String,
    pub digest: String,
    pub tags: Vec<String>,
    pub reason: String,
}

/// What a policy does to one or more repositories.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetentionPlan {
    pub delete: Vec<PlannedDeletion>,
    pub keep: Vec<PlannedKeep>,
}

impl RetentionPlan {
    /// Tags the plan deletes.
    pub fn deleted_tags(&self) -> usize {
        self.delete.iter().map(|d| d.tags.len()).sum()
    }

    /// Tags the plan keeps.
    pub fn kept_tags(&self) -> usize {
        self.keep.iter().map(|k| k.tags.len()).sum()
    }

    pub fn extend(&mut self, other: RetentionPlan) {
        self.delete.extend(other.delete);
        self.keep.extend(other.keep);
    }
}

/// A repository's own policy, which replaces the namespace's for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RepositoryRetention {
    pub repository: String,
    pub rules: RetentionRules,
}

/// A deletion a run tried and the registry (or wharf) refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FailedDeletion {
    pub repository: String,
    pub digest: String,
    pub error: String,
}

/// What a run did, stored with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetentionReport {
    /// Deleted (or, for a run held for confirmation, what it would delete).
    pub deleted: Vec<PlannedDeletion>,
    pub kept: Vec<PlannedKeep>,
    #[serde(default)]
    pub failed: Vec<FailedDeletion>,
}

/// One retention run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetentionRunRow {
    pub id: i64,
    pub trigger: super::RetentionTrigger,
    pub actor: String,
    pub status: super::RetentionStatus,
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: Option<String>,
    pub deleted_images: i64,
    pub deleted_tags: i64,
    pub kept_images: i64,
    pub error: Option<String>,
    /// The full report (on the run just made; `None` in lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<RetentionReport>,
}

/// A namespace's retention: its policy, the repositories' overrides, the last runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RetentionSettings {
    pub namespace: String,
    /// `None`: no policy (everything is kept).
    pub policy: Option<RetentionRules>,
    pub overrides: Vec<RepositoryRetention>,
    pub runs: Vec<RetentionRunRow>,
    /// Whether the caller may change the policy and start runs.
    pub may_manage: bool,
    /// A run deleting more than this share of the namespace's tags waits for confirmation.
    pub max_delete_share: f64,
}

/// Disk space of one repository, from the manifests and layers wharf knows (bytes; a blob
/// counted once however many manifests use it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RepositoryStorage {
    pub repository: String,
    /// Manifests, configurations and layers of what the repository holds now.
    pub in_use: i64,
    /// What the garbage collection would free after the policy's next run deleted what its
    /// plan lists: blobs only deleted manifests use (no manifest kept anywhere uses them).
    pub freed_by_plan: i64,
}

/// A namespace's disk space and what its retention plan would free.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StorageReport {
    pub in_use: i64,
    pub freed_by_plan: i64,
    pub repositories: Vec<RepositoryStorage>,
    /// Manifests wharf has not read yet (their layers are not counted).
    pub manifests_unread: i64,
}

/// Why a tag is kept, in the order the rules are asked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TagKeep {
    Protected(String),
    OutOfScope,
    NoKeepRule,
    Recent(u32),
    Latest(u32),
}

impl TagKeep {
    fn describe(&self, tag: &str) -> String {
        match self {
            TagKeep::Protected(p) => format!("{tag}: protected by {p:?}"),
            TagKeep::OutOfScope => format!("{tag}: not among the tags the policy applies to"),
            TagKeep::NoKeepRule => "no keep rule: the policy keeps every tag".to_owned(),
            TagKeep::Recent(days) => format!("{tag}: pushed or pulled within {days} days"),
            TagKeep::Latest(n) => format!("{tag}: among the {n} most recently pushed"),
        }
    }
}

/// What the policy `rules` does to the manifests of `repository` at time `now`.
pub fn plan(repository: &str, rules: &RetentionRules, manifests: &[ManifestFacts], now: i64) -> RetentionPlan {
    let matches_any = |list: &[String], tag: &str| list.iter().find(|p| glob_match(p, tag)).cloned();
    let in_scope = |tag: &str| {
        (rules.tags.is_empty() || matches_any(&rules.tags, tag).is_some()) && matches_any(&rules.exclude, tag).is_none()
    };
    let by_digest: HashMap<&str, &ManifestFacts> = manifests.iter().map(|m| (m.digest.as_str(), m)).collect();

    // Accessories: a manifest with a `subject` in this repository, or one only cosign-style
    // tags name (`sha256-<hex>.sig`, the fallback index `sha256-<hex>`).
    let mut attached: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut accessory: HashSet<&str> = HashSet::new();
    for m in manifests {
        let tag_subject = m
            .tags
            .iter()
            .filter_map(|t| accessory_tag(&t.name).map(|(s, _)| s))
            .next()
            .filter(|_| m.tags.iter().all(|t| accessory_tag(&t.name).is_some()));
        let subject = m.subject.clone().or(tag_subject);
        if let Some(s) = subject {
            if let Some(subject) = by_digest.get(s.as_str()) {
                attached
                    .entry(subject.digest.as_str())
                    .or_default()
                    .push(m.digest.as_str());
            }
            accessory.insert(m.digest.as_str());
        }
    }

    // The images ranked by their latest push of a tag the rules apply to (newest first).
    let mut ranked: Vec<(i64, &str)> = manifests
        .iter()
        .filter(|m| !accessory.contains(m.digest.as_str()))
        .filter_map(|m| {
            m.tags
                .iter()
                .filter(|t| in_scope(&t.name))
                .map(|t| t.pushed_at)
                .max()
                .map(|at| (at, m.digest.as_str()))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let latest: HashSet<&str> = ranked
        .iter()
        .take(rules.keep_last.unwrap_or(0) as usize)
        .map(|(_, d)| *d)
        .collect();
    let has_keep_rule = rules.keep_last.is_some() || rules.keep_days.is_some();
    let tag_keep = |m: &ManifestFacts, t: &TagFacts| -> Option<TagKeep> {
        if let Some(p) = matches_any(&rules.protect, &t.name) {
            return Some(TagKeep::Protected(p));
        }
        if !in_scope(&t.name) {
            return Some(TagKeep::OutOfScope);
        }
        if !has_keep_rule {
            return Some(TagKeep::NoKeepRule);
        }
        if let Some(days) = rules.keep_days {
            let since = now - i64::from(days) * DAY;
            if t.pushed_at >= since || t.last_pulled_at.is_some_and(|p| p >= since) {
                return Some(TagKeep::Recent(days));
            }
        }
        if let Some(n) = rules.keep_last.filter(|_| latest.contains(m.digest.as_str())) {
            return Some(TagKeep::Latest(n));
        }
        None
    };

    // Tagged images first: kept if any tag on them is kept.
    let mut kept: HashSet<&str> = HashSet::new();
    let mut out = RetentionPlan::default();
    let mut untagged: Vec<&ManifestFacts> = Vec::new();
    let mut order: Vec<&ManifestFacts> = manifests.iter().collect();
    order.sort_by(|a, b| {
        let newest = |m: &ManifestFacts| m.tags.iter().map(|t| t.pushed_at).max().unwrap_or(m.first_seen);
        newest(b).cmp(&newest(a)).then(a.digest.cmp(&b.digest))
    });
    for m in &order {
        if accessory.contains(m.digest.as_str()) {
            continue;
        }
        if m.tags.is_empty() {
            untagged.push(m);
            continue;
        }
        let names: Vec<String> = m.tags.iter().map(|t| t.name.clone()).collect();
        let decisions: Vec<(&TagFacts, Option<TagKeep>)> = m.tags.iter().map(|t| (t, tag_keep(m, t))).collect();
        match decisions.iter().find_map(|(t, k)| k.as_ref().map(|k| (t, k))) {
            Some((t, why)) => {
                let mut reason = why.describe(&t.name);
                if decisions.iter().any(|(_, k)| k.is_none()) {
                    reason.push_str(" (the other tags on this image stay with it)");
                }
                kept.insert(m.digest.as_str());
                out.keep.push(PlannedKeep {
                    repository: repository.to_owned(),
                    digest: m.digest.clone(),
                    tags: names,
                    reason,
                });
            }
            None => out.delete.push(PlannedDeletion {
                repository: repository.to_owned(),
                digest: m.digest.clone(),
                tags: names,
                accessories: Vec::new(),
            }),
        }
    }

    // Untagged manifests: the platforms of a kept index stay; the others go under the
    // untagged rule once old enough.
    let listed_by_kept: BTreeMap<&str, &str> = manifests
        .iter()
        .filter(|m| kept.contains(m.digest.as_str()))
        .flat_map(|m| m.children.iter().map(move |c| (c.as_str(), m.digest.as_str())))
        .collect();
    for m in untagged {
        let reason = if let Some(index) = listed_by_kept.get(m.digest.as_str()) {
            format!("listed by the kept index {index}")
        } else {
            match rules.untagged_days {
                Some(days) if m.first_seen <= now - i64::from(days) * DAY => {
                    out.delete.push(PlannedDeletion {
                        repository: repository.to_owned(),
                        digest: m.digest.clone(),
                        tags: Vec::new(),
                        accessories: Vec::new(),
                    });
                    continue;
                }
                Some(days) => format!("untagged for less than {days} days"),
                None => "untagged: the policy has no untagged rule".to_owned(),
            }
        };
        kept.insert(m.digest.as_str());
        out.keep.push(PlannedKeep {
            repository: repository.to_owned(),
            digest: m.digest.clone(),
            tags: Vec::new(),
            reason,
        });
    }

    // Accessories follow their subject (and the accessories of those, transitively).
    let deleted: HashSet<String> = out.delete.iter().map(|d| d.digest.clone()).collect();
    for d in &mut out.delete {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut stack: Vec<&str> = attached.get(d.digest.as_str()).cloned().unwrap_or_default();
        while let Some(a) = stack.pop() {
            if seen.insert(a) {
                stack.extend(attached.get(a).cloned().unwrap_or_default());
            }
        }
        d.accessories = seen.into_iter().map(str::to_owned).collect();
    }
    let gone_with: HashSet<&str> = out
        .delete
        .iter()
        .flat_map(|d| d.accessories.iter().map(String::as_str))
        .collect();
    for m in manifests.iter().filter(|m| accessory.contains(m.digest.as_str())) {
        if gone_with.contains(m.digest.as_str()) || deleted.contains(&m.digest) {
            continue;
        }
        let subject = m
            .subject
            .clone()
            .or_else(|| m.tags.iter().find_map(|t| accessory_tag(&t.name).map(|(s, _)| s)))
            .unwrap_or_default();
        let reason = if by_digest.contains_key(subject.as_str()) {
            format!("attached to the kept image {subject}")
        } else {
            format!("attached to {subject}, which this repository does not hold")
        };
        out.keep.push(PlannedKeep {
            repository: repository.to_owned(),
            digest: m.digest.clone(),
            tags: m.tags.iter().map(|t| t.name.clone()).collect(),
            reason,
        });
    }
    out
}

#[cfg(test)]
mod tests;
