//! `/api/v1`: the REST API for automation (CI jobs, chat-ops, scripts).
//!
//! Every handler is a thin adapter over the service layer (`wharf_app::backend::services`),
//! the same the console's server functions call, run as the API caller (see [`context::Api`]):
//! one service layer, one policy. The OpenAPI document is generated from these handlers and the
//! DTOs (utoipa) and served at `/api/v1/openapi.json`; `docs/openapi.json` is its committed copy.

mod activities;
mod context;
mod extract;
mod health;
mod namespaces;
mod orphans;
mod repositories;
mod retention;
mod teams;
mod tokens;
mod users;
mod webhooks;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wharf_app::backend::error::{ApiError, ErrorBody};
use wharf_app::backend::AppState;
use wharf_app::domain::AppError;

pub use context::Api;

/// Where the API lives.
pub const PREFIX: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wharf",
        description = "Access control and image browsing for private Docker registries. \
            Authenticate with an application token (`Authorization: Bearer <token>`, or Basic with \
            your user name and the token) or a console session cookie. Read-only tokens may only \
            use GET. Errors are `{\"error\":{\"code\",\"message\",\"details\"}}`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&SecuritySchemes),
    components(schemas(ErrorBody)),
    security(("bearer" = []), ("basic" = []), ("session" = [])),
    tags(
        (name = "account", description = "Who you are and your application tokens"),
        (name = "users", description = "Users (administrators only)"),
        (name = "teams", description = "Teams and their members"),
        (name = "namespaces", description = "Namespaces: where repositories live"),
        (name = "repositories", description = "Repositories and their tags"),
        (name = "activities", description = "The activity (audit) log"),
        (name = "registries", description = "Registry replicas, their health, catalog sync, and orphan repositories"),
        (name = "webhooks", description = "Outgoing webhooks of a namespace and their delivery log"),
        (name = "retention", description = "Tag retention policies of a namespace, their plan and runs"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An application token (`wharf_at_…`), made on the account page or with POST /api/v1/tokens",
                    ))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("Your user name and an application token (not your password)"))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                wharf_app::backend::auth::session::COOKIE_NAME,
                "The console's session cookie; named `__Host-wharf_session` when wharf is served over https",
            ))),
        );
    }
}

/// The errors any operation may answer, documented once.
#[allow(dead_code)] // only its derive is used: it documents responses
#[derive(IntoResponses)]
enum Errors {
    /// Malformed input: the message says what to fix.
    #[response(status = 400)]
    BadRequest(ErrorBody),
    /// Not signed in, or the token is wrong, expired or revoked.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The policy says no (or the token is read-only).
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// No such thing, or you may not see it.
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// A well-formed JSON body with the wrong fields or types.
    #[response(status = 422)]
    Unprocessable(ErrorBody),
    /// Too many failed sign-ins or requests; wait and retry.
    #[response(status = 429)]
    TooManyRequests(ErrorBody),
}

/// `page` and `per_page` on every list.
#[derive(Debug, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1-based page number (default 1).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    /// Items per page (default 25, at most 100).
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u64>,
}

/// One page of a list the service returns whole (tokens, teams: short lists); 400 for a
/// page or page size out of range, as everywhere.
pub fn page_of<T>(all: Vec<T>, paging: &Paging) -> Result<wharf_app::domain::dto::Page<T>, ApiError> {
    let (page, per_page) = wharf_app::domain::page_request(paging.page, paging.per_page, 25)?;
    let total = all.len() as u64;
    let skip = usize::try_from((page - 1) * per_page).unwrap_or(usize::MAX);
    let items = all
        .into_iter()
        .skip(skip)
        .take(usize::try_from(per_page).unwrap_or(25))
        .collect();
    Ok(wharf_app::domain::dto::Page {
        items,
        total,
        page,
        per_page,
        total_capped: false,
    })
}

/// The OpenAPI document and the routes it describes, from one list: they cannot disagree.
fn parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(users::whoami))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::update))
        .routes(routes!(teams::list, teams::create))
        .routes(routes!(teams::get, teams::update, teams::delete))
        .routes(routes!(teams::set_member, teams::remove_member))
        .routes(routes!(namespaces::list, namespaces::create))
        .routes(routes!(namespaces::get, namespaces::update, namespaces::delete))
        .routes(routes!(retention::get, retention::put, retention::delete))
        .routes(routes!(retention::plan))
        .routes(routes!(retention::storage))
        .routes(routes!(retention::run))
        .routes(routes!(repositories::list))
        .routes(routes!(repositories::get, repositories::update))
        .routes(routes!(repositories::tags))
        .routes(routes!(repositories::images_list))
        .routes(routes!(repositories::get_tag, repositories::delete_tag))
        .routes(routes!(repositories::manifest, repositories::delete_manifest))
        .routes(routes!(activities::list))
        .routes(routes!(health::registries))
        .routes(routes!(health::sync))
        .routes(routes!(health::update_registry))
        .routes(routes!(orphans::adopt))
        .routes(routes!(health::health))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::test))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::delivery))
        .routes(routes!(webhooks::redeliver))
        .split_for_parts()
}

/// The OpenAPI document as pretty JSON (served, and committed as `docs/openapi.json`).
pub fn openapi_json() -> String {
    let (_, doc) = parts();
    doc.to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

/// The `/api/v1` routes, the document at `/api/v1/openapi.json`, and JSON 404/405 answers.
pub fn router() -> Router<AppState> {
    let (routes, _) = parts();
    let doc = Arc::new(openapi_json());
    let api = routes
        .route(
            &format!("{PREFIX}/openapi.json"),
            get(move || {
                let doc = doc.clone();
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        doc.as_str().to_owned(),
                    )
                }
            }),
        )
        .method_not_allowed_fallback(method_not_allowed);
    Router::new()
        .merge(api)
        .route(PREFIX, axum::routing::any(not_found))
        .route(&format!("{PREFIX}/{{*rest}}"), axum::routing::any(not_found))
        .layer(axum::middleware::map_response(challenge))
}

/// Every 401 says how to authenticate.
async fn challenge(mut resp: Response) -> Response {
    if resp.status() == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer realm=\"wharf\""),
        );
    }
    resp
}

async fn not_found() -> Response {
    ApiError(AppError::NotFound(
        "no such API endpoint; see /api/v1/openapi.json".into(),
    ))
    .into_response()
}

async fn method_not_allowed() -> Response {
    ApiError(AppError::MethodNotAllowed(
        "this endpoint does not take that method; see /api/v1/openapi.json".into(),
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    /// The committed document is what the code generates (`UPDATE_OPENAPI=1` rewrites it).
    #[test]
    fn committed_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
        let generated = super::openapi_json() + "\n";
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p wharf-server --lib committed_document` and commit it"
        );
    }
}
