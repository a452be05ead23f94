//! What a webhook may be: checked when it is created or changed, so bad input is a clear 400
//! then rather than a failed delivery later.

use crate::backend::outbound::{self, OutboundPolicy};
use crate::domain::dto::WebhookHeader;
use crate::domain::{AppError, WebhookEvent};

pub const MAX_URL_LEN: usize = 2048;
pub const MAX_HEADERS: usize = 20;
pub const MAX_HEADER_VALUE_LEN: usize = 4096;
pub const MIN_SECRET_LEN: usize = 8;
pub const MAX_SECRET_LEN: usize = 256;
pub const MAX_HOOKS_PER_NAMESPACE: u64 = 20;

fn bad(msg: impl Into<String>) -> AppError {
    AppError::BadRequest(msg.into())
}

/// An http(s) URL with a host, no credentials, and no IP literal the policy refuses (names
/// are checked again at every delivery, by the guarded resolver).
pub fn url(text: &str, policy: &OutboundPolicy) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(bad("the webhook URL is required"));
    }
    if text.len() > MAX_URL_LEN {
        return Err(bad(format!("the webhook URL is longer than {MAX_URL_LEN} characters")));
    }
    let u = url::Url::parse(text).map_err(|e| bad(format!("the webhook URL is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad("the webhook URL must start with http:// or https://"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad(
            "put credentials in a custom header (e.g. Authorization), not in the URL",
        ));
    }
    outbound::check_url(&u, policy).map_err(|e| bad(format!("the webhook URL: {e}")))?;
    Ok(u.to_string())
}

/// At least one subscribable event, without repeats, in a stable order.
pub fn events(list: &[WebhookEvent]) -> Result<String, AppError> {
    if list.contains(&WebhookEvent::Ping) {
        return Err(bad("ping is sent on demand (test), it cannot be subscribed to"));
    }
    let chosen: Vec<&str> = [WebhookEvent::Push, WebhookEvent::Delete]
        .into_iter()
        .filter(|e| list.contains(e))
        .map(|e| e.as_str())
        .collect();
    if chosen.is_empty() {
        return Err(bad("choose at least one event: push, delete"));
    }
    Ok(chosen.join(","))
}

/// Headers wharf sets itself, or that would break the request.
fn reserved(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("x-wharf-")
        || matches!(
            n.as_str(),
            "content-type" | "content-length" | "host" | "transfer-encoding" | "connection" | "te" | "upgrade"
        )
}

/// Valid HTTP names and values, none reserved, none repeated.
pub fn headers(list: &[WebhookHeader]) -> Result<Vec<WebhookHeader>, AppError> {
    if list.len() > MAX_HEADERS {
        return Err(bad(format!("at most {MAX_HEADERS} custom headers")));
    }
    let mut out: Vec<WebhookHeader> = Vec::with_capacity(list.len());
    for h in list {
        let name = h.name.trim();
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(bad(format!("{name:?} is not a valid header name")));
        }
        if reserved(name) {
            return Err(bad(format!("the {name} header is set by wharf")));
        }
        let value = h.value.trim();
        if value.len() > MAX_HEADER_VALUE_LEN || http::HeaderValue::from_str(value).is_err() {
            return Err(bad(format!(
                "the value of the {name} header is not a valid header value"
            )));
        }
        if out.iter().any(|o| o.name.eq_ignore_ascii_case(name)) {
            return Err(bad(format!("the {name} header is given twice")));
        }
        out.push(WebhookHeader {
            name: name.to_owned(),
            value: value.to_owned(),
        });
    }
    Ok(out)
}

/// `None` or empty: no signature. Otherwise 8 to 256 characters.
pub fn secret(s: Option<&str>) -> Result<Option<String>, AppError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.len() < MIN_SECRET_LEN || s.len() > MAX_SECRET_LEN => Err(bad(format!(
            "the secret must be {MIN_SECRET_LEN} to {MAX_SECRET_LEN} characters"
        ))),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(name: &str, value: &str) -> WebhookHeader {
        WebhookHeader {
            name: name.into(),
            value: value.into(),
        }
    }

    #[test]
    fn urls() {
        let none = OutboundPolicy::default();
        assert!(url("https://hooks.example.com/x?y=1", &none).is_ok());
        assert!(
            url("https://[64:ff9b::808:808]/x", &none).is_ok(),
            "NAT64 to a public address"
        );
        for bad_url in [
            "",
            "hooks.example.com",
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "http://127.0.0.1:9/",
            "http://169.254.169.254/latest",
            "http://[::1]/",
            // Internal IPv4 through NAT64, 6to4 and IPv4-compatible IPv6; site-local; reserved.
            "http://[64:ff9b::a9fe:a9fe]/latest",
            "http://[2002:7f00:1::]:8080/",
            "http://[::127.0.0.1]/",
            "http://[fec0::1]/",
            "http://240.0.0.1/",
            "http://255.255.255.255/",
            "http://192.0.0.1/",
        ] {
            assert!(url(bad_url, &none).is_err(), "{bad_url}");
        }
        let loopback = OutboundPolicy {
            allow: vec!["127.0.0.0/8".parse().unwrap()],
        };
        assert!(url("http://127.0.0.1:9/hook", &loopback).is_ok());
        assert!(url(&format!("https://e.com/{}", "a".repeat(MAX_URL_LEN)), &none).is_err());
    }

    #[test]
    fn events_and_secrets() {
        assert_eq!(
            events(&[WebhookEvent::Delete, WebhookEvent::Push, WebhookEvent::Push]).unwrap(),
            "push,delete"
        );
        assert!(events(&[]).is_err());
        assert!(events(&[WebhookEvent::Ping]).is_err());
        assert_eq!(secret(None).unwrap(), None);
        assert_eq!(secret(Some("  ")).unwrap(), None);
        assert!(secret(Some("short")).is_err());
        assert!(secret(Some(&"x".repeat(300))).is_err());
        assert_eq!(secret(Some(" long enough ")).unwrap().as_deref(), Some("long enough"));
    }

    #[test]
    fn header_rules() {
        assert_eq!(
            headers(&[h(" Authorization ", " Bearer x ")]).unwrap(),
            vec![h("Authorization", "Bearer x")]
        );
        for bad_list in [
            vec![h("bad name", "v")],
            vec![h("Content-Type", "text/plain")],
            vec![h("X-Wharf-Signature", "forged")],
            vec![h("X-A", "line\nbreak")],
            vec![h("X-A", "1"), h("x-a", "2")],
            (0..=MAX_HEADERS).map(|i| h(&format!("X-{i}"), "v")).collect(),
        ] {
            assert!(headers(&bad_list).is_err(), "{bad_list:?}");
        }
    }
}
