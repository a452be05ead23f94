//! Every route wharf answers, in one place.

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;
use wharf_app::backend::error::DistributionError;
use wharf_app::backend::AppState;
use wharf_app::domain::AppError;
use wharf_app::ui::{shell, App};

use crate::http;

/// Requests whose headers add up to more than this are refused with 400.
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Largest request body accepted anywhere.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The refusal of a request whose headers are too large; `None` lets it through.
fn header_size_refusal(req: &Request) -> Option<Response> {
    let size: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if size <= MAX_HEADER_BYTES {
        return None;
    }
    // Answered the registry's way: the clients most likely to send such headers are docker's.
    let error = AppError::BadRequest("request headers too large".into());
    Some(
        DistributionError {
            error,
            realm: String::new(),
        }
        .into_response(),
    )
}

/// Every request passes here: refused when its headers are too large or it is a cross-site
/// write, and every answer gets the security headers. One middleware rather than one per
/// check, because each layer costs a boxed service clone and a boxed future per request (on
/// `/v2/token`, tens of thousands a second).
async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut resp = match header_size_refusal(&req).or_else(|| http::csrf::cross_site_refusal(&req)) {
        Some(refusal) => refusal,
        None => next.run(req).await,
    };
    add_security_headers(&state, &mut resp);
    resp
}

fn add_security_headers(state: &AppState, resp: &mut Response) {
    let h = resp.headers_mut();
    // Served over https (here or by the load balancer): browsers must never fall back to http.
    if state.config.public_url.starts_with("https://") {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("same-origin"));
    // Pages set their own policy (with their nonce); everything else may run nothing.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(wharf_app::backend::csp::NON_PAGE),
        );
    }
}

/// The span every log line of a request is in: method, path (never the query, which may
/// carry more than it should) and the request id.
fn request_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}

pub fn build(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();
    Router::new()
        .route("/v2/token", get(http::token::get_token).post(http::token::post_token))
        .route("/v2/webhooks/events", post(http::events::receive))
        .route("/health/live", get(http::health::live))
        .route("/health/ready", get(http::health::ready))
        .route("/metrics", get(http::metrics::scrape))
        .route("/console/activity/export", get(http::activity_export::export))
        .merge(http::api::router())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            move || shell(leptos_options.clone()),
        )
        .fallback(http::assets::serve)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(
            TraceLayer::new_for_http().make_span_with(request_span).on_response(
                DefaultOnResponse::new()
                    .level(Level::INFO)
                    .latency_unit(LatencyUnit::Micros),
            ),
        )
        // An id per request (kept when the load balancer sends one), in every log line of the
        // request and in the response, so a user's error report finds its log lines.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(
            http::request_id::CountingRequestId::new(),
        ))
        .with_state(state)
}
