//! Extractors whose rejections are wharf's JSON errors, not axum's plain-text ones.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::json;
use wharf_app::backend::error::ApiError;
use wharf_app::domain::AppError;

/// A JSON request body.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(e) => Err(match &e {
                JsonRejection::MissingJsonContentType(_) => ApiError(AppError::UnsupportedMediaType(
                    "send the body as JSON with Content-Type: application/json".into(),
                ))
                .into_response(),
                JsonRejection::JsonDataError(d) => ApiError(AppError::Unprocessable(
                    "the JSON body does not have the fields this endpoint takes".into(),
                ))
                .with_details(json!({ "reason": d.body_text() })),
                JsonRejection::BytesRejection(_) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError(
                    AppError::PayloadTooLarge("the request body is larger than the 1 MiB limit".into()),
                )
                .into_response(),
                _ => ApiError(AppError::BadRequest("the body is not valid JSON".into()))
                    .with_details(json!({ "reason": e.body_text() })),
            }),
        }
    }
}

fn malformed(what: &str, reason: String) -> Response {
    ApiError(AppError::BadRequest(what.to_owned())).with_details(json!({ "reason": reason }))
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
