//! Errors as `application/problem+json` (RFC 9457), mapped once from [`kernel::Error`].
//! `type` is a stable relative URI (`/problems/<slug>`) that clients can match on; `title`
//! is Vietnamese and `title_en` English.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kernel::{Error, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub title_en: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
}

/// The problem types this server uses: (slug, status, Vietnamese title, English title).
pub const PROBLEM_TYPES: &[(&str, u16, &str, &str)] = &[
    ("invalid-input", 422, "Dữ liệu không hợp lệ", "Invalid input"),
    ("malformed-request", 400, "Yêu cầu không đúng định dạng", "Malformed request"),
    ("not-found", 404, "Không tìm thấy", "Not found"),
    ("conflict", 409, "Xung đột với trạng thái hiện tại", "Conflict with the current state"),
    ("too-many-requests", 429, "Quá nhiều yêu cầu", "Too many requests"),
    ("unauthorized", 401, "Cần đăng nhập hoặc xác thực", "Authentication required"),
    ("forbidden", 403, "Không có quyền thực hiện", "Not allowed"),
    ("payload-too-large", 413, "Dữ liệu gửi lên quá lớn", "Payload too large"),
    ("unavailable", 503, "Dịch vụ tạm thời không sẵn sàng", "Service temporarily unavailable"),
    ("internal", 500, "Lỗi hệ thống", "Internal error"),
];

impl Problem {
    pub fn new(slug: &str, detail: impl Into<Option<String>>) -> Problem {
        let (s, status, vi, en) = PROBLEM_TYPES.iter().find(|p| p.0 == slug).copied().unwrap_or(PROBLEM_TYPES[8]);
        Problem { kind: format!("/problems/{s}"), title: vi.into(), title_en: en.into(), status, detail: detail.into(), errors: Vec::new() }
    }

    pub fn invalid(errors: Vec<FieldError>) -> Problem {
        let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        Problem { errors, ..Problem::new("invalid-input", Some(detail)) }
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Problem {
        match e {
            Error::Invalid(errors) => Problem::invalid(errors),
            Error::NotFound(what) => Problem::new("not-found", Some(format!("{what} không tồn tại (not found)"))),
            Error::Conflict(what) => Problem::new("conflict", Some(what)),
            Error::Unauthorized => Problem::new("unauthorized", None),
            Error::Forbidden(what) => Problem::new("forbidden", Some(what)),
            Error::TooMany(what) => Problem::new("too-many-requests", Some(what)),
            Error::BadRequest(what) => Problem::new("malformed-request", Some(what)),
            Error::Db(ref db) => {
                if e.is_unique_violation() {
                    return Problem::new("conflict", Some("bản ghi đã tồn tại (a record with this key already exists)".into()));
                }
                if matches!(db, kernel::sqlx::Error::PoolTimedOut | kernel::sqlx::Error::Io(_)) {
                    tracing::error!(error = %db, "database unavailable");
                    return Problem::new("unavailable", Some("cơ sở dữ liệu không phản hồi (database not reachable)".into()));
                }
                tracing::error!(error = %db, "database error");
                Problem::new("internal", None)
            }
            Error::Internal(what) => {
                tracing::error!(error = %what, "internal error");
                Problem::new("internal", None)
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut resp = (status, body).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        resp
    }
}

/// What JSON handlers return.
pub type ApiResult<T> = Result<T, Problem>;

/// Lets handlers use `?` on kernel results.
pub trait OrProblem<T> {
    fn or_problem(self) -> ApiResult<T>;
}

impl<T> OrProblem<T> for kernel::Result<T> {
    fn or_problem(self) -> ApiResult<T> {
        self.map_err(Problem::from)
    }
}
