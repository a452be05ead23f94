//! The console's static files (wasm, JS glue, CSS, public assets).
//!
//! Release builds embed the site cargo-leptos built (`target/site`, built before the server
//! because `precompress` is on), so `wharf serve` needs nothing beside the binary; the brotli or
//! gzip copy is sent when the browser accepts it. Debug builds read the same folder from disk.
//! Paths that are not assets go on to the app (its not-found page).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use wharf_app::backend::AppState;

#[derive(rust_embed::Embed)]
#[folder = "../target/site"]
#[allow_missing = true]
struct Site;

/// Serves an embedded asset, or hands the request to Leptos' file-and-error handler.
pub async fn serve(State(state): State<AppState>, req: Request) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        if let Some(resp) = embedded(&req) {
            return resp;
        }
    }
    // Not an asset: the app renders its not-found page, with the state its server functions need.
    let context_state = state.clone();
    let fallback = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
        move || leptos::prelude::provide_context(context_state.clone()),
        wharf_app::ui::shell,
    );
    fallback(req.uri().clone(), State(state), req).await
}

fn embedded(req: &Request) -> Option<Response> {
    let path = req.uri().path().trim_start_matches('/');
    if path.is_empty() || path.contains("..") {
        return None;
    }
    let file = Site::get(path)?;
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return Some(StatusCode::NOT_MODIFIED.into_response());
    }
    let accepts = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Precompressed copies sit beside the file (`wharf_bg.wasm.br`).
    let (data, encoding) = [("br", ".br"), ("gzip", ".gz")]
        .iter()
        .filter(|(enc, _)| accepts.contains(enc))
        .find_map(|(enc, ext)| Site::get(&format!("{path}{ext}")).map(|f| (f.data, Some(*enc))))
        .unwrap_or((file.data, None));
    let mut resp = Response::new(Body::from(data.into_owned()));
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(file.metadata.mimetype()) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Some(enc) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    // File names carry no hash: revalidate every time, cheaply, by ETag.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Some(resp)
}
