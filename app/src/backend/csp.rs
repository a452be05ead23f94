//! Content-Security-Policy: what the console's pages may load and run.
//!
//! Pages get a fresh nonce each (Leptos puts it on its hydration scripts); the wasm module
//! needs `'wasm-unsafe-eval'`, nothing needs `'unsafe-inline'` or `'unsafe-eval'`. Everything
//! else wharf answers (JSON, assets) gets [`NON_PAGE`], which allows nothing at all.

use leptos::prelude::use_context;

/// The policy for HTML pages rendered with `nonce`.
pub fn for_page(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: https:; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The policy for responses that are not pages.
pub const NON_PAGE: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// Called while the page shell renders: makes the nonce Leptos stamps on its scripts and
/// sends the matching policy with the response.
pub fn provide_for_page() {
    leptos::nonce::provide_nonce();
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(v) = axum::http::HeaderValue::from_str(&for_page(&nonce)) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_policy_allows_only_the_nonce_and_wasm() {
        let p = super::for_page("abc123");
        assert!(p.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(!p.contains("unsafe-inline") && !p.contains("'unsafe-eval'"));
        assert!(p.contains("frame-ancestors 'none'"));
    }
}
