//! Resolves the caller of every request and puts a [`web::Caller`] in its extensions:
//! `Authorization: Bearer <bootstrap token>` → the bootstrap administrator; the
//! `tinhso_session` cookie → the session's account. A bearer token that is not valid is
//! refused at once (401). Writes to `/api/` and `/data/` made with a session cookie must
//! carry the session's anti-forgery token in `X-CSRF-Token` (pages check their forms' `_csrf`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kernel::authz::Principal;
use web::{Caller, Problem};

use crate::Identity;

pub const SESSION_COOKIE: &str = "tinhso_session";

pub async fn authenticate(State(id): State<Identity>, mut req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let mut caller = Caller::default();
    if let Some(token) = web::auth::bearer(&parts) {
        if id.is_bootstrap_token(token) {
            caller.principal = Some(Arc::new(Principal::bootstrap()));
        } else {
            match bearer_principal(&id, token).await {
                Some(p) => caller.principal = Some(Arc::new(p)),
                // The LGSP gateway answers a caller it cannot authenticate itself, in X-Road's
                // form (`Client.AuthenticationFailed`), and logs the refused exchange.
                None if is_gateway_path(parts.uri.path()) => {}
                None => {
                    let mut r = Problem::new(
                        "unauthorized",
                        Some("mã truy cập không hợp lệ hoặc đã hết hạn (invalid or expired access token)".into()),
                    )
                    .into_response();
                    r.headers_mut().insert("www-authenticate", axum::http::HeaderValue::from_static("Bearer error=\"invalid_token\""));
                    return r;
                }
            }
        }
    } else if let Some(token) = web::auth::cookie(&parts, SESSION_COOKIE) {
        match id.session(token).await {
            Ok(Some((p, session_id, csrf))) => {
                caller = Caller { principal: Some(Arc::new(p)), csrf: Some(csrf), session_id: Some(session_id), client_cert: None };
                let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
                let api = parts.uri.path().starts_with("/api/") || parts.uri.path().starts_with("/data/");
                if unsafe_method && api {
                    let given = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
                    if !caller.csrf_ok(given) {
                        return Problem::new(
                            "forbidden",
                            Some("thiếu hoặc sai mã chống giả mạo X-CSRF-Token (missing or wrong X-CSRF-Token)".into()),
                        )
                        .into_response();
                    }
                }
            }
            Ok(None) => {}
            Err(e) => return Problem::from(e).into_response(),
        }
    }
    caller.client_cert = parts.extensions.get::<web::ClientCert>().map(|c| c.0.clone());
    parts.extensions.insert(caller);
    req = Request::from_parts(parts, body);
    next.run(req).await
}

/// The principal behind an access token issued by this deployment's OpenID provider.
async fn bearer_principal(id: &Identity, token: &str) -> Option<Principal> {
    let claims = crate::oidc::flow::verify_access(id, token).await.ok()??;
    if claims.kind == "client" {
        return Some(Principal {
            kind: kernel::authz::PrincipalKind::System,
            id: claims.client_id,
            name: claims.sub,
            citizen_id: None,
            tax_code: None,
            agency_id: None,
            grants: vec![],
            mfa: false,
        });
    }
    id.principal(&claims.sub, claims.amr.iter().any(|a| a == "otp")).await.ok()
}

/// The client's address as the request saw it (for the audit log and rate limits).
pub fn ip_of(parts_ext: &axum::http::Extensions) -> Option<String> {
    parts_ext.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())
}

/// `Set-Cookie` value for a new session.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        crate::service::SESSION_IDLE_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", if secure { "; Secure" } else { "" })
}

/// The LGSP gateway's paths (X-Road r1 calls, pub/sub, metaservices, envelopes).
fn is_gateway_path(path: &str) -> bool {
    path.starts_with("/r1/") || path == "/r1" || path == "/listClients" || path == "/lgsp/v1/envelopes"
}
