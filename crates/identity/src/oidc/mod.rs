//! The OpenID Connect provider: discovery, JWKS with rotated ES256 keys, the authorization
//! code flow with PKCE (S256, required of every client), client credentials for systems
//! calling the integration platform, refresh tokens rotated on every use (a reused one
//! revokes its whole family), userinfo, RP-initiated logout, and a client registry.
//! Access tokens are JWTs other components (and other deployments) verify with the JWKS.

pub mod admin;
pub mod api;
pub mod clients;
pub mod flow;
pub mod keys;

/// Lifetimes, in seconds.
pub const ACCESS_TOKEN_SECS: i64 = 600;
pub const ID_TOKEN_SECS: i64 = 600;
pub const CODE_SECS: i64 = 60;
pub const REFRESH_SECS: i64 = 30 * 24 * 3600;

/// Scopes this provider knows. `citizen_id` releases the personal identification number and
/// needs the person's consent.
pub const SCOPES: [&str; 6] = ["openid", "profile", "email", "phone", "citizen_id", "roles"];

/// An OAuth 2.0 error answer (RFC 6749 §5.2).
#[derive(Debug)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError { status, error, description: description.into() }
    }

    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", d)
    }

    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", d)
    }

    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(401, "invalid_client", d)
    }
}

impl From<kernel::Error> for OAuthError {
    fn from(e: kernel::Error) -> Self {
        tracing::error!(error = %e, "oidc");
        OAuthError::new(500, "server_error", "internal error")
    }
}

impl axum::response::IntoResponse for OAuthError {
    fn into_response(self) -> axum::response::Response {
        let mut r = (
            axum::http::StatusCode::from_u16(self.status).unwrap_or(axum::http::StatusCode::BAD_REQUEST),
            axum::Json(serde_json::json!({"error": self.error, "error_description": self.description})),
        )
            .into_response();
        r.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
        if self.status == 401 {
            r.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Basic realm=\"tinhso\""));
        }
        r
    }
}

pub fn sha256_hex(s: &str) -> String {
    crate::service::token_hash(s)
}

pub fn b64url(bytes: &[u8]) -> String {
    data_encoding::BASE64URL_NOPAD.encode(bytes)
}
