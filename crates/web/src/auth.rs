//! Who is calling. The identity component's middleware resolves the caller (a session cookie,
//! a bearer access token, or the deployment's bootstrap administrator token) and puts a
//! [`Caller`] in the request extensions; handlers ask for what they need:
//! [`kernel::authz::Principal`] (401 when nobody is signed in) or [`Admin`] (the right to edit
//! shared catalogs). Permissions are checked with `Principal::allows` (deny by default).
//! Other systems name themselves with the GovStack `Information-Mediator-Client` header (the
//! same identity as X-Road's `X-Road-Client`).

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use kernel::authz::{Permission, Principal};
use std::convert::Infallible;
use std::sync::Arc;

use crate::problem::Problem;

/// The SHA-256 (hex) of the certificate a client presented over mutual TLS, verified against
/// the configured client CA.
#[derive(Clone, Debug)]
pub struct ClientCert(pub String);

/// The resolved caller of a request, put in the extensions by the identity middleware.
#[derive(Clone, Default)]
pub struct Caller {
    pub principal: Option<Arc<Principal>>,
    /// The session's anti-forgery token, when the caller came with a session cookie.
    pub csrf: Option<String>,
    /// The session id, when the caller came with a session cookie.
    pub session_id: Option<String>,
    /// The client certificate's SHA-256, when the caller proved itself with mutual TLS.
    pub client_cert: Option<String>,
}

impl Caller {
    pub fn of(parts: &Parts) -> Caller {
        parts.extensions.get::<Caller>().cloned().unwrap_or_default()
    }

    /// True when `given` is this session's anti-forgery token.
    pub fn csrf_ok(&self, given: &str) -> bool {
        self.csrf.as_deref().is_some_and(|c| constant_time_eq(c.as_bytes(), given.as_bytes()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller::of(parts))
    }
}

/// The signed-in principal; 401 problem+json when there is none.
pub struct Authed(pub Arc<Principal>);

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match Caller::of(parts).principal {
            Some(p) => Ok(Authed(p)),
            None => Err(Problem::new("unauthorized", Some("cần đăng nhập (sign in first)".into()))),
        }
    }
}

/// A caller allowed to edit the shared catalogs (`Permission::CatalogManage`).
#[derive(Debug, Clone)]
pub struct Admin(pub Arc<Principal>);

fn admin(parts: &Parts) -> Result<Option<Admin>, Problem> {
    match Caller::of(parts).principal {
        None => Ok(None),
        Some(p) if p.allows(Permission::CatalogManage, None) => Ok(Some(Admin(p))),
        Some(_) => Err(Problem::new("forbidden", Some("cần quyền quản trị danh mục (catalog administration rights are required)".into()))),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        admin(parts)?.ok_or_else(|| {
            Problem::new("unauthorized", Some("cần đăng nhập với quyền quản trị hoặc mã quản trị (Authorization: Bearer ...) (administrator credentials are required)".into()))
        })
    }
}

/// `Option<Admin>`: `None` for anonymous callers, 403 for signed-in callers without the right.
impl<S: Send + Sync> OptionalFromRequestParts<S> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        admin(parts)
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The value of cookie `name`, if sent.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|s| s.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The calling system as named by `Information-Mediator-Client` or `X-Road-Client`
/// (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`, each part percent-encoded), if it named itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImClient(pub Option<String>);

impl ImClient {
    /// Parses and normalises the header value; `None` when it is not four non-empty parts.
    pub fn parse(v: &str) -> Option<String> {
        let parts: Vec<String> = v.trim().split('/').map(percent_decode).collect::<Option<Vec<_>>>()?;
        (parts.len() == 4 && parts.iter().all(|p| !p.is_empty())).then(|| parts.join("/"))
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl<S: Send + Sync> FromRequestParts<S> for ImClient {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw =
            parts.headers.get("information-mediator-client").or_else(|| parts.headers.get("x-road-client")).and_then(|v| v.to_str().ok());
        Ok(ImClient(raw.and_then(ImClient::parse)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_header_has_four_parts() {
        assert_eq!(ImClient::parse("VN/GOV/000.00.00.H41/ONESTOP").as_deref(), Some("VN/GOV/000.00.00.H41/ONESTOP"));
        assert_eq!(ImClient::parse("VN/GOV/000.00.00.H41/M%E1%BB%99t").as_deref(), Some("VN/GOV/000.00.00.H41/Một"));
        assert_eq!(ImClient::parse("VN/GOV/H41"), None);
        assert_eq!(ImClient::parse("VN//H41/X"), None);
    }

    #[test]
    fn token_comparison_is_exact() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}

/// The client's address (the peer of the connection), for audit logs and rate limits.
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string())))
    }
}
