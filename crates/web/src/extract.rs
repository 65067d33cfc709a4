//! `Json` and `Query` extractors whose rejections are problem+json, so malformed input gets the
//! same clear error shape as everything else.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// JSON body in, JSON body out.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> Problem {
    match rej {
        JsonRejection::JsonDataError(e) => Problem::new(
            "invalid-input",
            Some(format!("dữ liệu JSON không đúng cấu trúc (JSON does not match the expected shape): {}", e.body_text())),
        ),
        JsonRejection::JsonSyntaxError(e) => {
            Problem::new("malformed-request", Some(format!("JSON sai cú pháp (malformed JSON): {}", e.body_text())))
        }
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            "malformed-request",
            Some("cần header Content-Type: application/json (expected Content-Type: application/json)".into()),
        ),
        JsonRejection::BytesRejection(e) => {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new("payload-too-large", None)
            } else {
                Problem::new("malformed-request", Some(e.body_text()))
            }
        }
        other => Problem::new("malformed-request", Some(other.body_text())),
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query string parameters.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(Problem::new("invalid-input", Some(format!("tham số truy vấn không hợp lệ (bad query parameters): {}", e.body_text()))))
            }
            Err(other) => Err(Problem::new("malformed-request", Some(other.body_text()))),
        }
    }
}

/// Path parameters (a number out of range, text that is not UTF-8 once decoded).
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => {
                Err(Problem::new("malformed-request", Some(format!("đường dẫn không hợp lệ (bad path parameters): {}", e.body_text()))))
            }
        }
    }
}
