//! Cross-site request protection for server functions and other cookie-authenticated writes.
//!
//! Session cookies are SameSite=Strict already; on top of that, a state-changing request that
//! carries an `Origin` (or, failing that, a `Referer`) from another site is refused. Browsers
//! always send `Origin` on cross-site POSTs, so a forged form cannot get through.

use axum::extract::Request;
use axum::http::{header, Method};
use axum::response::{IntoResponse, Response};

fn same_origin(source: &str, host: &str) -> bool {
    url::Url::parse(source)
        .ok()
        .and_then(|u| {
            let h = u.host_str()?.to_owned();
            Some(match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h,
            })
        })
        .is_some_and(|origin_host| origin_host.eq_ignore_ascii_case(host))
}

/// The refusal of a state-changing request from another site; `None` lets the request through.
pub fn cross_site_refusal(req: &Request) -> Option<Response> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    if let Some(source) = source {
        if !same_origin(source, host) {
            return Some(
                wharf_app::backend::error::ApiError(wharf_app::domain::AppError::Forbidden(
                    "cross-site request refused".into(),
                ))
                .into_response(),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn origins() {
        assert!(super::same_origin("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(super::same_origin("http://wharf.example/login", "wharf.example"));
        assert!(!super::same_origin("http://evil.example", "wharf.example"));
        assert!(!super::same_origin("null", "wharf.example"));
    }
}
