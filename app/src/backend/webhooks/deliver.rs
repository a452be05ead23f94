//! One attempt at one delivery: the signed POST through the guarded client, and what came back.
//! Every attempt is signed with its own time, so retries carry a fresh timestamp (the body
//! bytes stay the same).

use std::time::Instant;

use chrono::Utc;

use super::queue::AttemptRecord;
use super::seal::Sealer;
use super::signature;
use crate::backend::entity::{webhook, webhook_delivery};
use crate::backend::outbound::{self, OutboundPolicy};
use crate::domain::dto::WebhookHeader;

/// How much of a response body is kept in the attempt log.
pub const EXCERPT_BYTES: usize = 1024;

/// AAD purposes for sealed columns (see [`Sealer::seal`]).
pub const SECRET_PURPOSE: &str = "wharf webhook secret";
pub const HEADERS_PURPOSE: &str = "wharf webhook headers";

/// The hook's secret and custom headers, opened.
pub struct Opened {
    pub secret: Option<Vec<u8>>,
    pub headers: Vec<WebhookHeader>,
}

pub fn open(sealer: &Sealer, hook: &webhook::Model) -> Result<Opened, String> {
    let secret = match &hook.secret_sealed {
        Some(s) => Some(sealer.open(s, SECRET_PURPOSE).map_err(|e| e.to_string())?),
        None => None,
    };
    let headers = match &hook.headers_sealed {
        Some(s) => {
            let bytes = sealer.open(s, HEADERS_PURPOSE).map_err(|e| e.to_string())?;
            serde_json::from_slice(&bytes).map_err(|e| format!("stored headers: {e}"))?
        }
        None => Vec::new(),
    };
    Ok(Opened { secret, headers })
}

/// Sends `delivery` to `hook` once. Never fails: every problem becomes the attempt's `error`.
pub async fn attempt(
    client: &reqwest::Client,
    policy: &OutboundPolicy,
    sealer: &Sealer,
    hook: &webhook::Model,
    delivery: &webhook_delivery::Model,
) -> AttemptRecord {
    let started_at = Utc::now();
    let clock = Instant::now();
    let result = send(client, policy, sealer, hook, delivery, started_at.timestamp()).await;
    let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
    match result {
        Ok((status, excerpt)) => AttemptRecord {
            started_at,
            duration_ms,
            status_code: Some(i32::from(status)),
            error: None,
            response_excerpt: excerpt,
        },
        Err(error) => AttemptRecord {
            started_at,
            duration_ms,
            status_code: None,
            error: Some(error),
            response_excerpt: String::new(),
        },
    }
}

async fn send(
    client: &reqwest::Client,
    policy: &OutboundPolicy,
    sealer: &Sealer,
    hook: &webhook::Model,
    delivery: &webhook_delivery::Model,
    now: i64,
) -> Result<(u16, String), String> {
    if !hook.enabled {
        return Err("the webhook is disabled".into());
    }
    let url = url::Url::parse(&hook.url).map_err(|e| format!("bad URL: {e}"))?;
    outbound::check_url(&url, policy).map_err(|e| e.to_string())?;
    let opened = open(sealer, hook)?;
    let body = delivery.payload.as_bytes().to_vec();
    let mut req = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("x-wharf-event", delivery.event.as_str())
        .header("x-wharf-delivery", &delivery.delivery_id);
    for h in &opened.headers {
        req = req.header(h.name.as_str(), h.value.as_str());
    }
    if let Some(secret) = &opened.secret {
        req = req.header(signature::HEADER, signature::sign(secret, now, &body));
    }
    let mut resp = req.body(body).send().await.map_err(describe)?;
    let status = resp.status().as_u16();
    // Only the beginning of the body is kept; the rest is not even read.
    let mut excerpt = Vec::new();
    while excerpt.len() < EXCERPT_BYTES {
        match resp.chunk().await {
            Ok(Some(c)) => excerpt.extend_from_slice(&c),
            _ => break,
        }
    }
    excerpt.truncate(EXCERPT_BYTES);
    Ok((status, String::from_utf8_lossy(&excerpt).into_owned()))
}

/// A transport error in a sentence, with its cause (the guard's refusal, a timeout, …).
fn describe(e: reqwest::Error) -> String {
    use std::error::Error;
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else if e.is_redirect() {
        "redirect refused".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
