//! The JSON body of a delivery. It is built once, when the delivery is enqueued, and stored:
//! every attempt and every redelivery sends the same bytes, so the signature stays valid and
//! receivers can de-duplicate on `event_id`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::domain::WebhookEvent;

#[derive(Debug, Clone, Serialize)]
pub struct Payload<'a> {
    pub event: WebhookEvent,
    /// The registry's event id (for `ping`, a fresh id): what receivers de-duplicate on.
    pub event_id: &'a str,
    /// RFC 3339, when the registry says it happened.
    pub occurred_at: String,
    /// Empty for the global namespace.
    pub namespace: &'a str,
    pub repository: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<&'a str>,
    /// For `delete`: the tags that pointed at the deleted manifest.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub tags: &'a [String],
    /// Who pushed or deleted, as the registry reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<&'a str>,
    /// `host:port` to pull from, when wharf knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_host: Option<&'a str>,
}

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl Payload<'_> {
    pub fn to_json(&self) -> String {
        // A struct of strings always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_payload_shape() {
        let p = Payload {
            event: WebhookEvent::Push,
            event_id: "e1",
            occurred_at: rfc3339(DateTime::from_timestamp(0, 0).unwrap()),
            namespace: "team",
            repository: "team/app",
            tag: Some("v1"),
            digest: Some("sha256:ab"),
            tags: &[],
            actor: Some("alice"),
            registry_host: None,
        };
        let v: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(v["event"], "push");
        assert_eq!(v["occurred_at"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v["tag"], "v1");
        assert!(v.get("tags").is_none() && v.get("registry_host").is_none());
    }
}
