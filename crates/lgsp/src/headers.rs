//! The headers of an exchange: which of the caller's go on to the upstream and which of the
//! upstream's come back (hop-by-hop ones and the caller's relation with this platform never
//! do), and X-Road's own, set by the gateway on both.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};

use crate::model::SubsystemId;
use crate::registry::Service;

/// X-Road's headers, their names parsed once.
pub(crate) const X_ROAD_CLIENT: HeaderName = HeaderName::from_static("x-road-client");
pub(crate) const X_ROAD_ID: HeaderName = HeaderName::from_static("x-road-id");
pub(crate) const X_ROAD_USER_ID: HeaderName = HeaderName::from_static("x-road-userid");
pub(crate) const X_ROAD_REQUEST_ID: HeaderName = HeaderName::from_static("x-road-request-id");
pub(crate) const X_ROAD_REQUEST_HASH: HeaderName = HeaderName::from_static("x-road-request-hash");
pub(crate) const X_ROAD_SERVICE: HeaderName = HeaderName::from_static("x-road-service");

/// Headers that belong to one connection, never forwarded.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
];

/// Headers of the caller's relation with this platform, not passed on (`expect`: the platform
/// itself tells the caller to go on with its body).
const PLATFORM_ONLY: [&str; 6] = ["authorization", "cookie", "host", "information-mediator-client", "content-length", "expect"];

/// X-Road's headers the gateway sets on the request it forwards, replacing the caller's.
const SET_UPSTREAM: [&str; 3] = ["x-road-client", "x-road-id", "x-road-request-id"];

/// X-Road's headers the gateway sets on the answer, replacing the upstream's.
const SET_ON_ANSWER: [&str; 5] = ["x-road-client", "x-road-service", "x-road-id", "x-road-request-id", "x-road-request-hash"];

fn named(name: &str, among: &[&str]) -> bool {
    among.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Whether a header of the caller's request (named in any case) goes on to the upstream;
/// `listed`: the names in its `Connection` header, lowercase.
pub(crate) fn goes_upstream(name: &str, listed: &[String]) -> bool {
    !named(name, &HOP_BY_HOP)
        && !named(name, &PLATFORM_ONLY)
        && !named(name, &SET_UPSTREAM)
        && !listed.iter().any(|l| l.eq_ignore_ascii_case(name))
}

/// `RateLimit-Policy` or `RateLimit`: set by the gateway for a client with limits, replacing
/// the upstream's.
pub(crate) fn limit_field(name: &str) -> bool {
    name.eq_ignore_ascii_case("ratelimit") || name.eq_ignore_ascii_case("ratelimit-policy")
}

/// Whether a header of the upstream's answer (named in any case) goes back to the caller.
pub(crate) fn goes_back(name: &str, listed: &[String]) -> bool {
    !named(name, &HOP_BY_HOP) && !named(name, &SET_ON_ANSWER) && !listed.iter().any(|l| l.eq_ignore_ascii_case(name))
}

/// The names a message's `Connection` header values list (hop-by-hop too), lowercase.
pub(crate) fn connection_listed<'a>(values: impl Iterator<Item = &'a [u8]>) -> Vec<String> {
    values
        .filter_map(|v| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split(',').map(|x| x.trim().to_ascii_lowercase()))
        .filter(|x| !x.is_empty())
        .collect()
}

fn listed_in(h: &HeaderMap) -> Vec<String> {
    connection_listed(h.get_all(header::CONNECTION).iter().map(HeaderValue::as_bytes))
}

pub(crate) fn client_header(h: &HeaderMap) -> Option<&str> {
    h.get(X_ROAD_CLIENT).or_else(|| h.get("information-mediator-client")).and_then(|v| v.to_str().ok())
}

/// A request id as a header value (`X-Road-Request-Id`; also `X-Road-Id` when the client sent none).
pub(crate) fn request_id_value(rid: &str) -> HeaderValue {
    HeaderValue::from_str(rid).unwrap_or(HeaderValue::from_static("-"))
}

/// `X-Road-Id` as the client sent it, or the request id.
pub(crate) fn xroad_id(h: &HeaderMap, rid: &HeaderValue) -> HeaderValue {
    h.get(X_ROAD_ID).cloned().unwrap_or_else(|| rid.clone())
}

/// The headers passed to the upstream: the client's, less hop-by-hop and platform-only ones,
/// with X-Road's identifying the client and the exchange.
pub(crate) fn request_headers(h: &HeaderMap, client: &HeaderValue, xroad_id: &HeaderValue, rid: &HeaderValue) -> HeaderMap {
    let listed = listed_in(h);
    let mut headers = HeaderMap::with_capacity(h.len() + 3);
    for (k, v) in h {
        if goes_upstream(k.as_str(), &listed) {
            headers.append(k.clone(), v.clone());
        }
    }
    headers.insert(X_ROAD_CLIENT, client.clone());
    headers.insert(X_ROAD_ID, xroad_id.clone());
    headers.insert(X_ROAD_REQUEST_ID, rid.clone());
    headers
}

/// `X-Road-Service`: the provider subsystem and the service code, each part percent-encoded as
/// the path gives it (`ho-kinh-doanh` stays as it is; `/`, `%`, spaces and the like are encoded).
pub(crate) fn service_header(service: &Service) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("{}/{}", service.provider.encoded(), SubsystemId::encode_part(&service.code))).ok()
}

/// The headers of the answer: the upstream's, less hop-by-hop ones, with X-Road's.
pub(crate) fn response_headers(
    h: &HeaderMap,
    client: HeaderValue,
    service: Option<HeaderValue>,
    xroad_id: HeaderValue,
    rid: HeaderValue,
    request_hash: &str,
) -> HeaderMap {
    let listed = listed_in(h);
    let mut out = HeaderMap::with_capacity(h.len() + 5);
    for (k, v) in h {
        if goes_back(k.as_str(), &listed) {
            out.append(k.clone(), v.clone());
        }
    }
    answer_xroad_headers(&mut out, client, service, xroad_id, rid, request_hash);
    out
}

/// X-Road's headers on an answer: the client, the service (when given), the exchange's ids and
/// the hash of the request body.
pub(crate) fn answer_xroad_headers(
    out: &mut HeaderMap,
    client: HeaderValue,
    service: Option<HeaderValue>,
    xroad_id: HeaderValue,
    rid: HeaderValue,
    request_hash: &str,
) {
    out.insert(X_ROAD_CLIENT, client);
    if let Some(v) = service {
        out.insert(X_ROAD_SERVICE, v);
    }
    out.insert(X_ROAD_ID, xroad_id);
    out.insert(X_ROAD_REQUEST_ID, rid);
    if let Ok(v) = HeaderValue::from_str(request_hash) {
        out.insert(X_ROAD_REQUEST_HASH, v);
    }
}
