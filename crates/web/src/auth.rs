//! Who is calling, as far as this layer knows it.
//!
//! Until accounts exist, administrative writes are allowed to the bootstrap administrator: a
//! bearer token set in the configuration (or generated at first start). Callers from other
//! systems name themselves with the GovStack `Information-Mediator-Client` header (the same
//! identity as X-Road's `X-Road-Client`).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use std::convert::Infallible;
use std::sync::Arc;

use crate::problem::Problem;

/// The bootstrap administrator token, put in the request extensions by the server.
#[derive(Clone)]
pub struct AdminToken(pub Arc<str>);

/// Extractor that succeeds only for `Authorization: Bearer <admin token>`.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
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

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let expected = parts.extensions.get::<AdminToken>().map(|t| t.0.clone());
        match (bearer(parts), expected) {
            (None, _) => Err(Problem::new(
                "unauthorized",
                Some("cần header Authorization: Bearer <mã quản trị> (an administrator bearer token is required)".into()),
            )),
            (Some(given), Some(exp)) if constant_time_eq(given.as_bytes(), exp.as_bytes()) => Ok(Admin),
            _ => Err(Problem::new("forbidden", Some("mã quản trị không đúng (wrong administrator token)".into()))),
        }
    }
}

/// `Option<Admin>`: `None` without a bearer token, an error for a wrong one.
impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if bearer(parts).is_none() {
            return Ok(None);
        }
        <Admin as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

/// The calling system as named by `Information-Mediator-Client` or `X-Road-Client`
/// (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`, each part percent-encoded), if it named itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImClient(pub Option<String>);

impl ImClient {
    /// Parses and normalises the header value; `None` when it is not four non-empty parts.
    pub fn parse(v: &str) -> Option<String> {
        let parts: Vec<String> = v
            .trim()
            .split('/')
            .map(percent_decode)
            .collect::<Option<Vec<_>>>()?;
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
        let raw = parts
            .headers
            .get("information-mediator-client")
            .or_else(|| parts.headers.get("x-road-client"))
            .and_then(|v| v.to_str().ok());
        Ok(ImClient(raw.and_then(ImClient::parse)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_header_has_four_parts() {
        assert_eq!(
            ImClient::parse("VN/GOV/000.00.00.H41/ONESTOP").as_deref(),
            Some("VN/GOV/000.00.00.H41/ONESTOP")
        );
        assert_eq!(
            ImClient::parse("VN/GOV/000.00.00.H41/M%E1%BB%99t").as_deref(),
            Some("VN/GOV/000.00.00.H41/Một")
        );
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
