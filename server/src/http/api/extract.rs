//! Extractors whose rejections are wharf's JSON errors, not axum's plain-text ones.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::json;
use wharf_app::backend::error::json_error;

/// A JSON request body.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(e) => Err(match &e {
                JsonRejection::MissingJsonContentType(_) => json_error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "send the body as JSON with Content-Type: application/json",
                    json!({}),
                ),
                JsonRejection::JsonDataError(d) => json_error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unprocessable",
                    "the JSON body does not have the fields this endpoint takes",
                    json!({ "reason": d.body_text() }),
                ),
                JsonRejection::BytesRejection(_) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => json_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    "the request body is larger than the 1 MiB limit",
                    json!({}),
                ),
                _ => json_error(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "the body is not valid JSON",
                    json!({ "reason": e.body_text() }),
                ),
            }),
        }
    }
}

fn malformed(what: &str, reason: String) -> Response {
    json_error(
        StatusCode::BAD_REQUEST,
        "bad_request",
        what,
        json!({ "reason": reason }),
    )
}

/// Query-string parameters.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| malformed("malformed query parameters", e.body_text()))
    }
}

/// Path segments (names are percent-decoded: `team%2Fapp` is the repository `team/app`).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e: PathRejection| malformed("malformed path", e.body_text()))
    }
}
