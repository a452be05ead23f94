//! The notification envelope (`application/vnd.docker.distribution.events.v1+json` from
//! registry 2.8, `…events.v2+json` from registry 3, whose `target` embeds the OCI descriptor
//! and whose ids are UUIDv7) and the checks that turn it into events wharf acts on.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::{AppError, Digest, RepositoryName, TagName};

/// Manifest media types the registry stores: Docker schema2 and list, OCI manifest and index,
/// and the legacy signed schema1. Blob events carry other types and are ignored.
pub const MANIFEST_MEDIA_TYPES: [&str; 5] = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/// Most events one POST may carry (the registry sends one; batching proxies send a few).
pub const MAX_EVENTS_PER_ENVELOPE: usize = 1000;

#[derive(Debug, Deserialize)]
struct RawEnvelope {
    events: Vec<RawEvent>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEvent {
    id: String,
    timestamp: DateTime<Utc>,
    action: String,
    target: RawTarget,
    #[serde(default)]
    request: RawRequest,
    #[serde(default)]
    actor: RawActor,
    #[serde(default)]
    source: RawSource,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTarget {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    size: Option<i64>,
    #[serde(default)]
    digest: Option<String>,
    repository: String,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    references: Vec<RawDescriptor>,
}

#[derive(Debug, Deserialize)]
struct RawDescriptor {
    #[serde(default)]
    size: i64,
}

#[derive(Debug, Default, Deserialize)]
struct RawRequest {
    #[serde(default)]
    method: String,
    #[serde(default)]
    addr: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawActor {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSource {
    #[serde(default)]
    addr: Option<String>,
    #[serde(default, rename = "instanceID")]
    instance_id: Option<String>,
}

/// What happened, reduced to what wharf records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventAction {
    /// A manifest was pushed, by tag or by digest.
    PushManifest {
        tag: Option<TagName>,
        digest: Digest,
        media_type: String,
        /// The manifest plus every referenced descriptor the registry listed.
        size: i64,
    },
    /// A manifest was fetched with GET (HEAD requests and blob pulls are not pulls).
    PullManifest {
        tag: Option<TagName>,
        digest: Option<Digest>,
    },
    /// A manifest deleted by digest: every tag pointing at it is gone.
    DeleteManifest { digest: Digest },
    /// One tag removed (the registry sends one per tag when a manifest is deleted).
    DeleteTag { tag: TagName },
    /// Blob pushes, HEAD requests, blob pulls, cross-repository mounts.
    Ignored,
}

/// One checked event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEvent {
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    pub repository: RepositoryName,
    pub action: EventAction,
    pub actor: Option<String>,
    pub client_addr: Option<String>,
    pub source_addr: Option<String>,
    pub source_instance: Option<String>,
}

impl RegistryEvent {
    /// The short action name stored with the event id.
    pub fn action_name(&self) -> &'static str {
        match self.action {
            EventAction::PushManifest { .. } => "push",
            EventAction::PullManifest { .. } => "pull",
            EventAction::DeleteManifest { .. } | EventAction::DeleteTag { .. } => "delete",
            EventAction::Ignored => "ignored",
        }
    }

    /// The tag and manifest digest the event names, as stored with its id.
    pub fn tag_and_digest(&self) -> (Option<&str>, Option<&str>) {
        match &self.action {
            EventAction::PushManifest { tag, digest, .. } => (tag.as_ref().map(|t| t.as_str()), Some(digest.as_str())),
            EventAction::PullManifest { tag, digest } => {
                (tag.as_ref().map(|t| t.as_str()), digest.as_ref().map(|d| d.as_str()))
            }
            EventAction::DeleteManifest { digest } => (None, Some(digest.as_str())),
            EventAction::DeleteTag { tag } => (Some(tag.as_str()), None),
            EventAction::Ignored => (None, None),
        }
    }
}

fn bad(msg: impl Into<String>) -> AppError {
    AppError::BadRequest(msg.into())
}

fn clip(s: Option<String>, max: usize) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(|s| s.chars().take(max).collect())
}

fn is_manifest(media_type: Option<&str>) -> bool {
    media_type.is_some_and(|m| MANIFEST_MEDIA_TYPES.contains(&m))
}

/// Parses and checks a whole envelope. Any invalid event rejects the envelope, so nothing is
/// half-applied and the error names the event at fault.
pub fn parse_envelope(body: &[u8]) -> Result<Vec<RegistryEvent>, AppError> {
    let raw: RawEnvelope =
        serde_json::from_slice(body).map_err(|e| bad(format!("the body is not a registry event envelope: {e}")))?;
    if raw.events.len() > MAX_EVENTS_PER_ENVELOPE {
        return Err(bad(format!(
            "{} events in one request; at most {MAX_EVENTS_PER_ENVELOPE}",
            raw.events.len()
        )));
    }
    raw.events
        .into_iter()
        .enumerate()
        .map(|(i, e)| check(e).map_err(|err| bad(format!("event {i}: {err}"))))
        .collect()
}

fn check(e: RawEvent) -> Result<RegistryEvent, AppError> {
    if e.id.is_empty() || e.id.len() > 128 {
        return Err(bad("the event id must be 1 to 128 characters"));
    }
    // Decide what the event is first and check only the fields that matter for it: an event
    // wharf ignores must never be refused, or the registry would retry it forever.
    let t = e.target;
    let has_tag = t.tag.as_deref().is_some_and(|s| !s.is_empty());
    // Blobs never carry a tag, so a tagged push is a manifest even of a type not listed.
    let manifest = is_manifest(t.media_type.as_deref()) || (e.action == "push" && has_tag);
    let tag = || {
        t.tag
            .clone()
            .filter(|s| !s.is_empty())
            .map(TagName::try_from)
            .transpose()
    };
    let digest = || {
        t.digest
            .clone()
            .filter(|s| !s.is_empty())
            .map(Digest::try_from)
            .transpose()
    };
    let action = match e.action.as_str() {
        "push" if manifest => {
            let digest = digest()?.ok_or_else(|| bad("a manifest push without a digest"))?;
            let own = t.size.unwrap_or(0);
            if own < 0 {
                return Err(bad("a negative size"));
            }
            let referenced = t
                .references
                .iter()
                .fold(0i64, |sum, r| sum.saturating_add(r.size.max(0)));
            EventAction::PushManifest {
                tag: tag()?,
                digest,
                media_type: t.media_type.clone().unwrap_or_default(),
                size: own.saturating_add(referenced),
            }
        }
        "pull" if manifest && e.request.method.eq_ignore_ascii_case("GET") => EventAction::PullManifest {
            tag: tag()?,
            digest: digest()?,
        },
        "delete" => match (tag()?, digest()?) {
            (Some(tag), _) => EventAction::DeleteTag { tag },
            (None, Some(digest)) => EventAction::DeleteManifest { digest },
            // A repository delete (no tag, no digest): its tags' own events follow.
            (None, None) => EventAction::Ignored,
        },
        "push" | "pull" | "mount" => EventAction::Ignored,
        other => {
            return Err(bad(format!(
                "unknown action {:?}; expected push, pull, mount or delete",
                other.chars().take(32).collect::<String>()
            )))
        }
    };
    let repository = RepositoryName::try_from(t.repository)?;
    Ok(RegistryEvent {
        id: e.id,
        occurred_at: e.timestamp,
        repository,
        action,
        actor: clip(e.actor.name, 64),
        client_addr: clip(e.request.addr, 64),
        source_addr: clip(e.source.addr, 255),
        source_instance: clip(e.source.instance_id, 64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    fn envelope(events: &str) -> Vec<u8> {
        format!("{{\"events\":[{events}]}}").into_bytes()
    }

    fn push(media_type: &str, tag: &str) -> String {
        format!(
            r#"{{"id":"e1","timestamp":"2026-11-28T01:02:03.123456789Z","action":"push",
            "target":{{"mediaType":"{media_type}","size":500,"digest":"{D1}","length":500,
            "repository":"alice/app","url":"http://r/v2/alice/app/manifests/{D1}","tag":"{tag}",
            "references":[{{"mediaType":"x","size":1000,"digest":"{D1}"}},{{"size":24}}]}},
            "request":{{"id":"r","addr":"127.0.0.1:4444","host":"lb:8080","method":"PUT","useragent":"skopeo"}},
            "actor":{{"name":"alice"}},"source":{{"addr":"reg-1:5000","instanceID":"abc"}}}}"#
        )
    }

    #[test]
    fn every_manifest_type_push_is_recorded_with_referenced_sizes() {
        for mt in &MANIFEST_MEDIA_TYPES[..4] {
            let events = parse_envelope(&envelope(&push(mt, "v1"))).unwrap();
            assert_eq!(events.len(), 1);
            let e = &events[0];
            assert_eq!(e.repository.as_str(), "alice/app");
            assert_eq!(e.actor.as_deref(), Some("alice"));
            assert_eq!(e.source_addr.as_deref(), Some("reg-1:5000"));
            assert_eq!(e.source_instance.as_deref(), Some("abc"));
            match &e.action {
                EventAction::PushManifest {
                    tag,
                    digest,
                    media_type,
                    size,
                } => {
                    assert_eq!(tag.as_ref().unwrap().as_str(), "v1");
                    assert_eq!(digest.as_str(), D1);
                    assert_eq!(media_type, mt);
                    assert_eq!(*size, 1524);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn blob_pushes_head_requests_and_mounts_are_ignored() {
        let blob = push("application/octet-stream", "");
        assert_eq!(
            parse_envelope(&envelope(&blob)).unwrap()[0].action,
            EventAction::Ignored
        );
        let head = push(MANIFEST_MEDIA_TYPES[0], "v1")
            .replace("\"push\"", "\"pull\"")
            .replace("PUT", "HEAD");
        assert_eq!(
            parse_envelope(&envelope(&head)).unwrap()[0].action,
            EventAction::Ignored
        );
        let get = head.replace("HEAD", "GET");
        assert!(matches!(
            parse_envelope(&envelope(&get)).unwrap()[0].action,
            EventAction::PullManifest { .. }
        ));
        let odd_blob = blob.replace(D1, "sha1:abc");
        assert_eq!(
            parse_envelope(&envelope(&odd_blob)).unwrap()[0].action,
            EventAction::Ignored
        );
        let future_type = push("application/vnd.example.manifest.v9+json", "v9");
        assert!(matches!(
            parse_envelope(&envelope(&future_type)).unwrap()[0].action,
            EventAction::PushManifest { .. }
        ));
        let repo_delete =
            r#"{"id":"r1","timestamp":"2026-11-28T01:02:03Z","action":"delete","target":{"repository":"alice/app"}}"#;
        assert_eq!(
            parse_envelope(&envelope(repo_delete)).unwrap()[0].action,
            EventAction::Ignored
        );
        let mount = blob.replace("\"push\"", "\"mount\"");
        assert_eq!(
            parse_envelope(&envelope(&mount)).unwrap()[0].action,
            EventAction::Ignored
        );
    }

    /// A push as registry 3.1.1 sends it: a UUIDv7 id, the OCI descriptor inline in `target`
    /// (with `annotations` and `artifactType`), every record present even when empty.
    #[test]
    fn registry_3_events_are_understood() {
        let v3 = format!(
            r#"{{"id":"019ae3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b","timestamp":"2026-12-01T10:11:12.131415161Z",
            "action":"push","target":{{"mediaType":"application/vnd.oci.image.index.v1+json",
            "digest":"{D1}","size":900,"annotations":{{"org.opencontainers.image.created":"x"}},
            "artifactType":"","length":900,"repository":"alice/app","url":"http://r/v2/alice/app/manifests/{D1}",
            "tag":"v3","references":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json",
            "digest":"{D1}","size":500,"platform":{{"architecture":"arm64","os":"linux"}}}}]}},
            "request":{{"id":"r","addr":"127.0.0.1:5555","host":"lb","method":"PUT","useragent":"skopeo"}},
            "actor":{{"name":"alice"}},"source":{{"addr":"reg-3:5000","instanceID":"i3"}}}}"#
        );
        let pull = v3.replace("\"push\"", "\"pull\"").replace("PUT", "GET");
        let repo_delete = r#"{"id":"019ae3b4-0000-7000-8000-000000000000","timestamp":"2026-12-01T10:11:12Z",
            "action":"delete","target":{"repository":"alice/app"},"request":{"id":"","method":""},
            "actor":{},"source":{}}"#;
        let events = parse_envelope(&envelope(&format!("{v3},{pull},{repo_delete}"))).unwrap();
        match &events[0].action {
            EventAction::PushManifest {
                tag, size, media_type, ..
            } => {
                assert_eq!(tag.as_ref().unwrap().as_str(), "v3");
                assert_eq!(*size, 1400);
                assert_eq!(media_type, "application/vnd.oci.image.index.v1+json");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(events[0].id, "019ae3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b");
        assert!(matches!(events[1].action, EventAction::PullManifest { .. }));
        assert_eq!(
            events[2].action,
            EventAction::Ignored,
            "a repository delete must never be refused"
        );
    }

    #[test]
    fn deletes_by_digest_and_by_tag() {
        let by_digest = format!(
            r#"{{"id":"d1","timestamp":"2026-11-28T01:02:03Z","action":"delete","target":{{"digest":"{D1}","repository":"alice/app"}}}}"#
        );
        let by_tag = r#"{"id":"d2","timestamp":"2026-11-28T01:02:03Z","action":"delete","target":{"repository":"alice/app","tag":"v1"}}"#;
        let events = parse_envelope(&envelope(&format!("{by_digest},{by_tag}"))).unwrap();
        assert!(matches!(events[0].action, EventAction::DeleteManifest { .. }));
        assert!(matches!(&events[1].action, EventAction::DeleteTag { tag } if tag.as_str() == "v1"));
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"not json".to_vec(), "not a registry event envelope"),
            (b"{}".to_vec(), "not a registry event envelope"),
            (
                envelope(&push(MANIFEST_MEDIA_TYPES[0], "v1").replace("\"push\"", "\"explode\"")),
                "unknown action",
            ),
            (
                envelope(&push(MANIFEST_MEDIA_TYPES[0], "v1").replace("alice/app", "Alice/../app")),
                "repository name",
            ),
            (envelope(&push(MANIFEST_MEDIA_TYPES[0], "-bad")), "tag"),
            (
                envelope(&push(MANIFEST_MEDIA_TYPES[0], "v1").replace(D1, "sha256:xyz")),
                "digest",
            ),
            (
                envelope(&push(MANIFEST_MEDIA_TYPES[0], "v1").replace("\"e1\"", "\"\"")),
                "event id",
            ),
            (
                envelope(&push(MANIFEST_MEDIA_TYPES[0], "v1").replace("2026-11-28T01:02:03.123456789Z", "yesterday")),
                "envelope",
            ),
        ];
        for (body, needle) in cases {
            let err = parse_envelope(&body).unwrap_err();
            assert!(matches!(err, AppError::BadRequest(_)), "{err:?}");
            assert!(err.to_string().contains(needle), "{err} should mention {needle}");
        }
        let long_repo = format!("alice/{}", "a".repeat(300));
        let err = parse_envelope(&envelope(
            &push(MANIFEST_MEDIA_TYPES[0], "v1").replace("alice/app", &long_repo),
        ))
        .unwrap_err();
        assert!(err.to_string().contains("event 0"), "{err}");
    }
}
